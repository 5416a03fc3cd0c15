from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'notice_needs_contacts.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_first_name = resolve('first_name')
    l_0_job_title = resolve('job_title')
    l_0_company = resolve('company')
    l_0_rejected_local = resolve('rejected_local')
    l_0_contacts_how = resolve('contacts_how')
    l_0_timeline_url = resolve('timeline_url')
    pass
    yield 'Hi '
    yield str((undefined(name='first_name') if l_0_first_name is missing else l_0_first_name))
    yield ',\n\nYour rejection for the '
    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
    yield ' role at '
    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
    yield ' (on '
    yield str((undefined(name='rejected_local') if l_0_rejected_local is missing else l_0_rejected_local))
    yield ') reached Near Miss, but nobody could be written to: the application names no one with an email address, so no note has been planned.\n\nAdd the people you met, with their email addresses, and the notes start from the day you learned of it (whatever is still timely):\n'
    yield str((undefined(name='contacts_how') if l_0_contacts_how is missing else l_0_contacts_how))
    yield '\n\nWhere this application stands: '
    yield str((undefined(name='timeline_url') if l_0_timeline_url is missing else l_0_timeline_url))
    yield '\n\nYou will not hear about this rejection again from us until you add someone.'

blocks = {}
debug_info = '1=18&3=20&6=26&8=28'