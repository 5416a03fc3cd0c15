from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'notice_needs_contacts.subject.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_job_title = resolve('job_title')
    l_0_company = resolve('company')
    pass
    yield 'Nobody to write to yet: '
    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
    yield ' at '
    yield str((undefined(name='company') if l_0_company is missing else l_0_company))

blocks = {}
debug_info = '1=14'