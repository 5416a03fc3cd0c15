"""Compile the mail and page templates (shared/nearmiss/templates/*.j2) into templates/compiled/.

    python tools/compile_templates.py

Run it after editing a template: the functions render the compiled modules (Jinja2's ModuleLoader),
and tests/unit/test_compose.py fails while they differ from what the sources compile to.
"""

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from nearmiss.domain.compose import COMPILED, compile_templates


def main() -> None:
    shutil.rmtree(COMPILED, ignore_errors=True)
    names = compile_templates(COMPILED)
    print(f"compiled {len(names)} templates into {COMPILED}")


if __name__ == "__main__":
    main()
