from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'notice_to_complete.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_first_name = resolve('first_name')
    l_0_job_title = resolve('job_title')
    l_0_company = resolve('company')
    l_0_names = resolve('names')
    l_0_contacts_how = resolve('contacts_how')
    l_0_timeline_url = resolve('timeline_url')
    pass
    yield 'Hi '
    yield str((undefined(name='first_name') if l_0_first_name is missing else l_0_first_name))
    yield ',\n\nThe notes for the '
    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
    yield ' role at '
    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
    yield ' have started, but nobody could be written to for these people, named without an email address:\n\n'
    for l_1_name in (undefined(name='names') if l_0_names is missing else l_0_names):
        _loop_vars = {}
        pass
        yield '- '
        yield str(l_1_name)
        yield '\n'
    l_1_name = missing
    yield '\nAdd their addresses and their notes join the others (whatever is still timely):\n'
    yield str((undefined(name='contacts_how') if l_0_contacts_how is missing else l_0_contacts_how))
    yield '\n\nWhere this application stands: '
    yield str((undefined(name='timeline_url') if l_0_timeline_url is missing else l_0_timeline_url))

blocks = {}
debug_info = '1=18&3=20&5=24&6=28&10=32&12=34'