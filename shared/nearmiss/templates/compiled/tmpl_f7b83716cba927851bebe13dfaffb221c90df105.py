from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'notice_to_complete.subject.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_names = resolve('names')
    l_0_job_title = resolve('job_title')
    l_0_company = resolve('company')
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    pass
    yield str(t_1((undefined(name='names') if l_0_names is missing else l_0_names)))
    yield ' '
    yield str(('person' if (t_1((undefined(name='names') if l_0_names is missing else l_0_names)) == 1) else 'people'))
    yield ' to complete: '
    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
    yield ' at '
    yield str((undefined(name='company') if l_0_company is missing else l_0_company))

blocks = {}
debug_info = '1=20'