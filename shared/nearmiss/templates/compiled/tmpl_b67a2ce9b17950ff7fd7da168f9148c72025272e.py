from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'notice_forward.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_first_name = resolve('first_name')
    l_0_kind = resolve('kind')
    l_0_company = resolve('company')
    l_0_job_title = resolve('job_title')
    l_0_received_local = resolve('received_local')
    l_0_start_url = resolve('start_url')
    l_0_dismiss_url = resolve('dismiss_url')
    l_0_cancelled = resolve('cancelled')
    l_0_interview_local = resolve('interview_local')
    l_0_named = resolve('named')
    l_0_people = resolve('people')
    l_0_application = resolve('application')
    l_0_undo_url = resolve('undo_url')
    l_0_reason = resolve('reason')
    l_0_contacts = resolve('contacts')
    l_0_edit_url = resolve('edit_url')
    l_0_no_address = resolve('no_address')
    l_0_no_discussed = resolve('no_discussed')
    l_0_missing = resolve('missing')
    l_0__ = resolve('_')
    try:
        t_1 = environment.filters['join']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'join' found.")
    try:
        t_2 = environment.filters['map']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'map' found.")
    try:
        t_3 = environment.filters['replace']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'replace' found.")
    pass
    yield 'Hi '
    yield str((undefined(name='first_name') if l_0_first_name is missing else l_0_first_name))
    yield ',\n\n'
    if ((undefined(name='kind') if l_0_kind is missing else l_0_kind) == 'rejection'):
        pass
        yield 'Near Miss read the mail you forwarded as: a rejection from '
        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
        if (undefined(name='job_title') if l_0_job_title is missing else l_0_job_title):
            pass
            yield ' for '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
        yield ', received '
        yield str((undefined(name='received_local') if l_0_received_local is missing else l_0_received_local))
        yield ' your time.\n\nNothing starts until you say so. The thank-you notes count from when you received it, so the sooner the better:\nStart the notes: '
        yield str((undefined(name='start_url') if l_0_start_url is missing else l_0_start_url))
        yield '\nThis is not a rejection: '
        yield str((undefined(name='dismiss_url') if l_0_dismiss_url is missing else l_0_dismiss_url))
        yield '\n'
    elif ((undefined(name='kind') if l_0_kind is missing else l_0_kind) == 'maybe_rejection'):
        pass
        yield 'Near Miss could not tell whether the mail you forwarded (from '
        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
        if (undefined(name='job_title') if l_0_job_title is missing else l_0_job_title):
            pass
            yield ', '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
        yield ', received '
        yield str((undefined(name='received_local') if l_0_received_local is missing else l_0_received_local))
        yield ' your time) is a rejection: it has none of the usual wording.\n\nIs this a rejection? If it is, start the notes: '
        yield str((undefined(name='start_url') if l_0_start_url is missing else l_0_start_url))
        yield '\nIf it is not, do nothing: nothing will start.\n'
    elif ((undefined(name='kind') if l_0_kind is missing else l_0_kind) == 'invitation'):
        pass
        if (undefined(name='cancelled') if l_0_cancelled is missing else l_0_cancelled):
            pass
            yield 'Your interview with '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            if (undefined(name='interview_local') if l_0_interview_local is missing else l_0_interview_local):
                pass
                yield ' on '
                yield str((undefined(name='interview_local') if l_0_interview_local is missing else l_0_interview_local))
                yield ' your time'
            yield ' was cancelled. The people it named stay with the application.\n'
        else:
            pass
            yield 'Your interview'
            if (undefined(name='named') if l_0_named is missing else l_0_named):
                pass
                yield ' with '
                yield str(t_1(context.eval_ctx, t_2(context, (undefined(name='named') if l_0_named is missing else l_0_named), attribute='name'), ' and '))
            if (undefined(name='interview_local') if l_0_interview_local is missing else l_0_interview_local):
                pass
                yield ' on '
                yield str((undefined(name='interview_local') if l_0_interview_local is missing else l_0_interview_local))
                yield ' your time'
            yield '.\n'
        if (undefined(name='cancelled') if l_0_cancelled is missing else l_0_cancelled):
            pass
        elif (undefined(name='named') if l_0_named is missing else l_0_named):
            pass
            yield 'In the invitation:\n'
            for l_1_p in (undefined(name='named') if l_0_named is missing else l_0_named):
                _loop_vars = {}
                pass
                yield '- '
                yield str(environment.getattr(l_1_p, 'name'))
                yield ' ('
                yield str(environment.getattr(l_1_p, 'role'))
                yield ')\n'
            l_1_p = missing
            if (undefined(name='people') if l_0_people is missing else l_0_people):
                pass
                yield 'Added to '
                yield str((undefined(name='application') if l_0_application is missing else l_0_application))
                yield ': '
                yield str(t_1(context.eval_ctx, t_2(context, (undefined(name='people') if l_0_people is missing else l_0_people), attribute='name'), ', '))
                yield '.\nNot that application? Take them out again: '
                yield str((undefined(name='undo_url') if l_0_undo_url is missing else l_0_undo_url))
                yield '\n'
            else:
                pass
                yield 'Everyone in it was known already'
                if (undefined(name='application') if l_0_application is missing else l_0_application):
                    pass
                    yield ' for '
                    yield str((undefined(name='application') if l_0_application is missing else l_0_application))
                yield ': nobody was added.\n'
        else:
            pass
            yield 'It names nobody but you, so nobody was added.\n'
    elif ((undefined(name='kind') if l_0_kind is missing else l_0_kind) == 'not_rejection'):
        pass
        yield 'Near Miss read the mail you forwarded ('
        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
        yield ') as '
        yield str(t_3(context.eval_ctx, (undefined(name='reason') if l_0_reason is missing else l_0_reason), 'reads as ', ''))
        yield ', not a rejection: nothing will start.\n'
    else:
        pass
        yield 'Near Miss could not read the mail you forwarded: '
        yield str((undefined(name='reason') if l_0_reason is missing else l_0_reason))
        yield '. Nothing was done with it; it is kept for a while in case you ask us about it.\n\nForward the original mail itself (not a reply to it), or report the rejection by hand.\n'
    if (undefined(name='contacts') if l_0_contacts is missing else l_0_contacts):
        pass
        yield '\nThe people Near Miss knows for this application:\n'
        for l_1_c in (undefined(name='contacts') if l_0_contacts is missing else l_0_contacts):
            _loop_vars = {}
            pass
            yield '- '
            yield str(environment.getattr(l_1_c, 'name'))
            yield ' ('
            yield str(environment.getattr(l_1_c, 'role'))
            yield ')'
            if environment.getattr(l_1_c, 'email'):
                pass
                yield ' <'
                yield str(environment.getattr(l_1_c, 'email'))
                yield '>'
            else:
                pass
                yield ': no address yet'
            if environment.getattr(l_1_c, 'discussed'):
                pass
                yield '; discussed: '
                yield str(environment.getattr(l_1_c, 'discussed'))
            yield '\n'
        l_1_c = missing
    elif ((undefined(name='kind') if l_0_kind is missing else l_0_kind) in ('rejection', 'maybe_rejection')):
        pass
        yield '\nNear Miss knows nobody for this application yet: add the people you met, with their addresses.\n'
    if ((undefined(name='edit_url') if l_0_edit_url is missing else l_0_edit_url) and (((undefined(name='no_address') if l_0_no_address is missing else l_0_no_address) or (undefined(name='no_discussed') if l_0_no_discussed is missing else l_0_no_discussed)) or (not (undefined(name='contacts') if l_0_contacts is missing else l_0_contacts)))):
        pass
        l_0_missing = []
        context.vars['missing'] = l_0_missing
        context.exported_vars.add('missing')
        if (undefined(name='no_address') if l_0_no_address is missing else l_0_no_address):
            pass
            l_0__ = context.call(environment.getattr((undefined(name='missing') if l_0_missing is missing else l_0_missing), 'append'), str_join(('an address for ', t_1(context.eval_ctx, (undefined(name='no_address') if l_0_no_address is missing else l_0_no_address), ', '), )))
            context.vars['_'] = l_0__
        if (undefined(name='no_discussed') if l_0_no_discussed is missing else l_0_no_discussed):
            pass
            l_0__ = context.call(environment.getattr((undefined(name='missing') if l_0_missing is missing else l_0_missing), 'append'), str_join(('what you discussed with ', t_1(context.eval_ctx, (undefined(name='no_discussed') if l_0_no_discussed is missing else l_0_no_discussed), ', '), )))
            context.vars['_'] = l_0__
        if (not (undefined(name='contacts') if l_0_contacts is missing else l_0_contacts)):
            pass
            l_0__ = context.call(environment.getattr((undefined(name='missing') if l_0_missing is missing else l_0_missing), 'append'), 'the people you met')
            context.vars['_'] = l_0__
        yield 'Missing: '
        yield str(t_1(context.eval_ctx, (undefined(name='missing') if l_0_missing is missing else l_0_missing), '; '))
        yield '.\nAdd a line per person: '
        yield str((undefined(name='edit_url') if l_0_edit_url is missing else l_0_edit_url))
        yield '\n'
    elif (undefined(name='edit_url') if l_0_edit_url is missing else l_0_edit_url):
        pass
        yield 'Correct anything (roles, addresses, what you discussed): '
        yield str((undefined(name='edit_url') if l_0_edit_url is missing else l_0_edit_url))
        yield '\n'

blocks = {}
debug_info = '1=50&3=52&4=55&7=63&8=65&9=67&10=70&12=78&14=80&15=82&16=85&18=95&20=105&21=107&23=110&24=114&26=119&27=122&28=126&30=131&35=139&36=142&38=149&42=151&45=154&46=158&49=176&53=179&54=181&55=184&56=188&57=192&58=197&59=199&60=201&61=204'