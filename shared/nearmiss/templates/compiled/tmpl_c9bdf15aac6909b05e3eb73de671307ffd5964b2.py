from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_signoff.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_closing = resolve('closing')
    l_0_candidate = resolve('candidate')
    pass
    yield str((undefined(name='closing') if l_0_closing is missing else l_0_closing))
    yield ',\n'
    yield str(environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'name'))
    yield '\n'
    if environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'signature'):
        pass
        yield str(environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'signature'))
        yield '\n'

blocks = {}
debug_info = '1=13&2=15&3=17&4=19'