from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'draft.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_candidate = resolve('candidate')
    l_0_kind_label = resolve('kind_label')
    l_0_contact = resolve('contact')
    l_0_role_label = resolve('role_label')
    l_0_job_title = resolve('job_title')
    l_0_company = resolve('company')
    l_0_send_local = resolve('send_local')
    l_0_approve_url = resolve('approve_url')
    l_0_skip_url = resolve('skip_url')
    l_0_review_url = resolve('review_url')
    l_0_expires_local = resolve('expires_local')
    l_0_timeline_url = resolve('timeline_url')
    l_0_draft = resolve('draft')
    pass
    yield 'Hi '
    yield str(environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'first_name'))
    yield ',\n\nHere is the '
    yield str((undefined(name='kind_label') if l_0_kind_label is missing else l_0_kind_label))
    yield ' note for '
    yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'name'))
    yield ', '
    yield str((undefined(name='role_label') if l_0_role_label is missing else l_0_role_label))
    yield ' for the '
    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
    yield ' role at '
    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
    yield '. If you approve it, it goes out '
    yield str((undefined(name='send_local') if l_0_send_local is missing else l_0_send_local))
    yield ' on their clock.\n\nApprove and send: '
    yield str((undefined(name='approve_url') if l_0_approve_url is missing else l_0_approve_url))
    yield '\nSkip this one: '
    yield str((undefined(name='skip_url') if l_0_skip_url is missing else l_0_skip_url))
    yield '\nRead or edit it first: '
    yield str((undefined(name='review_url') if l_0_review_url is missing else l_0_review_url))
    yield '\n\nAn approval after '
    yield str((undefined(name='expires_local') if l_0_expires_local is missing else l_0_expires_local))
    yield ' lapses: a late note does more harm than none.\nEverything planned for this application: '
    yield str((undefined(name='timeline_url') if l_0_timeline_url is missing else l_0_timeline_url))
    yield '\n\n----- Subject: '
    yield str(environment.getattr((undefined(name='draft') if l_0_draft is missing else l_0_draft), 'subject'))
    yield ' -----\n\n'
    yield str(environment.getattr((undefined(name='draft') if l_0_draft is missing else l_0_draft), 'text'))

blocks = {}
debug_info = '1=25&3=27&5=39&6=41&7=43&9=45&10=47&12=49&14=51'