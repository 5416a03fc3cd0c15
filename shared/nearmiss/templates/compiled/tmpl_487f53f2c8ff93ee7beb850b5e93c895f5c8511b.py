from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'page.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_title = resolve('title')
    l_0_message = resolve('message')
    l_0_subject = resolve('subject')
    l_0_edit_url = resolve('edit_url')
    l_0_text = resolve('text')
    l_0_waiting = resolve('waiting')
    l_0_how = resolve('how')
    l_0_timeline = resolve('timeline')
    l_0_held = resolve('held')
    l_0_intake = resolve('intake')
    l_0_people_form = resolve('people_form')
    l_0_actions = resolve('actions')
    try:
        t_1 = environment.filters['replace']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'replace' found.")
    try:
        t_2 = environment.tests['defined']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No test named 'defined' found.")
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>'
    yield escape((undefined(name='title') if l_0_title is missing else l_0_title))
    yield ' · Near Miss</title>\n<style>\n  body { font-family: system-ui, sans-serif; max-width: 42em; margin: 2em auto; padding: 0 1em; color: #1d1d1f; line-height: 1.5; }\n  pre { white-space: pre-wrap; font-family: Georgia, serif; background: #f6f6f4; padding: 1em; border-radius: 6px; }\n  form { display: inline-block; margin: 0 .5em .5em 0; }\n  button { font-size: 1rem; padding: .6em 1.2em; border-radius: 6px; border: 1px solid #555; background: #fff; cursor: pointer; }\n  button.primary { background: #1d5fbf; color: #fff; border-color: #1d5fbf; }\n  button:focus, input:focus, textarea:focus { outline: 3px solid #f2b705; }\n  form.edit { display: block; }\n  form.edit label { display: block; font-weight: 600; margin-top: .8em; }\n  form.edit input, form.edit textarea { width: 100%; font: inherit; padding: .4em; box-sizing: border-box; }\n  form.edit button { margin-top: .8em; }\n  table { border-collapse: collapse; width: 100%; }\n  th, td { text-align: left; padding: .3em .5em; border-bottom: 1px solid #ddd; vertical-align: top; }\n</style>\n</head>\n<body>\n<main>\n<h1>'
    yield escape((undefined(name='title') if l_0_title is missing else l_0_title))
    yield '</h1>\n<p>'
    yield escape((undefined(name='message') if l_0_message is missing else l_0_message))
    yield '</p>\n'
    if ((t_2((undefined(name='subject') if l_0_subject is missing else l_0_subject)) and t_2((undefined(name='edit_url') if l_0_edit_url is missing else l_0_edit_url))) and (undefined(name='edit_url') if l_0_edit_url is missing else l_0_edit_url)):
        pass
        yield '<form method="post" action="'
        yield escape((undefined(name='edit_url') if l_0_edit_url is missing else l_0_edit_url))
        yield '" class="edit" aria-label="Edit the message">\n<label for="subject">Subject</label>\n<input id="subject" name="subject" value="'
        yield escape((undefined(name='subject') if l_0_subject is missing else l_0_subject))
        yield '" maxlength="200" required>\n<label for="text">Message</label>\n<textarea id="text" name="text" rows="18" required>'
        yield escape((undefined(name='text') if l_0_text is missing else l_0_text))
        yield '</textarea>\n<button type="submit" name="action" value="approve" class="primary">Save and approve</button>\n<button type="submit" name="action" value="save">Save</button>\n</form>\n'
    elif t_2((undefined(name='subject') if l_0_subject is missing else l_0_subject)):
        pass
        yield '<section aria-label="The message">\n<h2>'
        yield escape((undefined(name='subject') if l_0_subject is missing else l_0_subject))
        yield '</h2>\n<pre>'
        yield escape((undefined(name='text') if l_0_text is missing else l_0_text))
        yield '</pre>\n</section>\n'
    if (t_2((undefined(name='waiting') if l_0_waiting is missing else l_0_waiting)) and (undefined(name='waiting') if l_0_waiting is missing else l_0_waiting)):
        pass
        yield '<section aria-label="Waiting">\n'
        if (environment.getattr((undefined(name='waiting') if l_0_waiting is missing else l_0_waiting), 'state') == 'needs_contacts'):
            pass
            yield '<p><strong>Waiting: nobody to write to.</strong> The rejection of '
            yield escape(environment.getattr((undefined(name='waiting') if l_0_waiting is missing else l_0_waiting), 'rejected_at'))
            yield ' waits until someone with an email address is added: '
            yield escape((undefined(name='how') if l_0_how is missing else l_0_how))
            yield '</p>\n'
        else:
            pass
            yield '<p><strong>Waiting for the re-open before it.</strong> A rejection of '
            yield escape(environment.getattr((undefined(name='waiting') if l_0_waiting is missing else l_0_waiting), 'rejected_at'))
            yield ' arrived before the re-open that precedes it; it starts when that re-open arrives.</p>\n'
        yield '</section>\n'
    if t_2((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline)):
        pass
        yield '<table>\n<caption>The playbook</caption>\n<thead><tr><th scope="col">Step</th><th scope="col">To</th><th scope="col">When (their time)</th><th scope="col">State</th><th scope="col">Note</th></tr></thead>\n<tbody>\n'
        for l_1_s in (undefined(name='timeline') if l_0_timeline is missing else l_0_timeline):
            _loop_vars = {}
            pass
            yield '<tr><td>'
            yield escape(t_1(context.eval_ctx, environment.getattr(l_1_s, 'kind'), '_', ' '))
            yield '</td><td>'
            yield escape(environment.getattr(l_1_s, 'recipient'))
            yield ' ('
            yield escape(t_1(context.eval_ctx, environment.getattr(l_1_s, 'role'), '_', ' '))
            yield ')</td><td>'
            yield escape(environment.getattr(l_1_s, 'planned_at_local'))
            yield '</td><td>'
            yield escape(t_1(context.eval_ctx, environment.getattr(l_1_s, 'state'), '_', ' '))
            yield '</td><td>'
            yield escape((environment.getattr(l_1_s, 'reason') or ''))
            yield '</td></tr>\n'
        l_1_s = missing
        yield '</tbody>\n</table>\n'
    if (t_2((undefined(name='held') if l_0_held is missing else l_0_held)) and (undefined(name='held') if l_0_held is missing else l_0_held)):
        pass
        yield '<table>\n<caption>Waiting for your decision (start or discard each through the API: nothing starts on its own)</caption>\n<thead><tr><th scope="col">From</th><th scope="col">Company</th><th scope="col">Role</th><th scope="col">Date</th><th scope="col">Why it waits</th></tr></thead>\n<tbody>\n'
        for l_1_h in (undefined(name='held') if l_0_held is missing else l_0_held):
            _loop_vars = {}
            pass
            yield '<tr><td>'
            yield escape(environment.getattr(l_1_h, 'source'))
            yield '</td><td>'
            yield escape((environment.getattr(l_1_h, 'company') or ''))
            yield '</td><td>'
            yield escape((environment.getattr(l_1_h, 'job_title') or ''))
            yield '</td><td>'
            yield escape((environment.getattr(l_1_h, 'occurred_at') or ''))
            yield '</td><td>'
            yield escape(environment.getattr(l_1_h, 'reason'))
            yield '</td></tr>\n'
        l_1_h = missing
        yield '</tbody>\n</table>\n'
    if (t_2((undefined(name='intake') if l_0_intake is missing else l_0_intake)) and (undefined(name='intake') if l_0_intake is missing else l_0_intake)):
        pass
        yield '<p>Forward a rejection or an interview invitation to <strong>'
        yield escape((undefined(name='intake') if l_0_intake is missing else l_0_intake))
        yield '</strong> and Near Miss answers with what it understood; nothing starts until you say so.</p>\n'
    if (t_2((undefined(name='people_form') if l_0_people_form is missing else l_0_people_form)) and (undefined(name='people_form') if l_0_people_form is missing else l_0_people_form)):
        pass
        yield '<form method="post" action="'
        yield escape(environment.getattr((undefined(name='people_form') if l_0_people_form is missing else l_0_people_form), 'url'))
        yield '" class="edit" aria-label="The people of this application">\n'
        l_1_loop = missing
        for l_1_p, l_1_loop in LoopContext(environment.getattr((undefined(name='people_form') if l_0_people_form is missing else l_0_people_form), 'people'), undefined):
            _loop_vars = {}
            pass
            yield '<fieldset>\n<legend>'
            yield escape(environment.getattr(l_1_p, 'name'))
            yield '</legend>\n<label for="email-'
            yield escape(environment.getattr(l_1_loop, 'index'))
            yield '">Email address</label>\n<input id="email-'
            yield escape(environment.getattr(l_1_loop, 'index'))
            yield '" name="email:'
            yield escape(environment.getattr(l_1_p, 'key'))
            yield '" value="'
            yield escape(environment.getattr(l_1_p, 'email'))
            yield '" maxlength="254" type="email">\n<label for="role-'
            yield escape(environment.getattr(l_1_loop, 'index'))
            yield '">Role</label>\n<select id="role-'
            yield escape(environment.getattr(l_1_loop, 'index'))
            yield '" name="role:'
            yield escape(environment.getattr(l_1_p, 'key'))
            yield '">\n'
            for (l_2_value, l_2_label) in environment.getattr((undefined(name='people_form') if l_0_people_form is missing else l_0_people_form), 'roles'):
                _loop_vars = {}
                pass
                yield '<option value="'
                yield escape(l_2_value)
                yield '"'
                if (l_2_value == environment.getattr(l_1_p, 'role')):
                    pass
                    yield ' selected'
                yield '>'
                yield escape(l_2_label)
                yield '</option>\n'
            l_2_value = l_2_label = missing
            yield '</select>\n<label for="discussed-'
            yield escape(environment.getattr(l_1_loop, 'index'))
            yield '">What you discussed with '
            yield escape(environment.getattr(l_1_p, 'name'))
            yield '</label>\n<textarea id="discussed-'
            yield escape(environment.getattr(l_1_loop, 'index'))
            yield '" name="discussed:'
            yield escape(environment.getattr(l_1_p, 'key'))
            yield '" rows="3" maxlength="2000">'
            yield escape(environment.getattr(l_1_p, 'discussed'))
            yield '</textarea>\n</fieldset>\n'
        l_1_loop = l_1_p = missing
        yield '<fieldset>\n<legend>Someone else you met</legend>\n<label for="name-new">Name</label>\n<input id="name-new" name="name:new" maxlength="120">\n<label for="email-new">Email address</label>\n<input id="email-new" name="email:new" maxlength="254" type="email">\n<label for="role-new">Role</label>\n<select id="role-new" name="role:new">\n'
        for (l_1_value, l_1_label) in environment.getattr((undefined(name='people_form') if l_0_people_form is missing else l_0_people_form), 'roles'):
            _loop_vars = {}
            pass
            yield '<option value="'
            yield escape(l_1_value)
            yield '"'
            if (l_1_value == 'interviewer'):
                pass
                yield ' selected'
            yield '>'
            yield escape(l_1_label)
            yield '</option>\n'
        l_1_value = l_1_label = missing
        yield '</select>\n<label for="discussed-new">What you discussed</label>\n<textarea id="discussed-new" name="discussed:new" rows="3" maxlength="2000"></textarea>\n</fieldset>\n<button type="submit" class="primary">Save</button>\n</form>\n'
    if (t_2((undefined(name='actions') if l_0_actions is missing else l_0_actions)) and (undefined(name='actions') if l_0_actions is missing else l_0_actions)):
        pass
        yield '<div>\n'
        for l_1_action in (undefined(name='actions') if l_0_actions is missing else l_0_actions):
            _loop_vars = {}
            pass
            yield '<form method="post" action="'
            yield escape(environment.getattr(l_1_action, 'url'))
            yield '"><button type="submit"'
            if environment.getattr(l_1_action, 'primary'):
                pass
                yield ' class="primary"'
            yield '>'
            yield escape(environment.getattr(l_1_action, 'label'))
            yield '</button></form>\n'
        l_1_action = missing
        yield '</div>\n'
    yield '</main>\n</body>\n</html>'

blocks = {}
debug_info = '6=36&24=38&25=40&26=42&27=45&29=47&31=49&35=51&37=54&38=56&41=58&43=61&44=64&46=71&50=74&55=77&56=81&61=95&66=98&67=102&72=114&73=117&75=119&76=122&77=125&79=129&80=131&81=133&82=139&83=141&84=145&85=149&88=159&89=163&100=171&101=175&110=185&112=188&113=192'