from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'thank_you.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_contact = resolve('contact')
    l_0_job_title = resolve('job_title')
    l_0_company = resolve('company')
    l_0_closing = missing
    pass
    yield 'Hi '
    yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'first_name'))
    yield ',\n\n'
    if (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'recruiter'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 0):
            pass
            yield 'Thank you for guiding me through the interview process for the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role at '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield '. You kept me informed at every step, and I appreciated it.'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 1):
                pass
                yield 'Thank you for looking after me during the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' process at '
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield '. Knowing what came next made the waiting much easier.'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 2):
                    pass
                    yield 'I wanted to thank you for your help with the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' role at '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield '. You made each stage clear before it began.'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 3):
                        pass
                        yield 'Thank you for all the arranging behind the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' interviews at '
                        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                        yield '. I always knew where things stood.'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 4):
                            pass
                            yield 'Many thanks for steering me through the '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' process at '
                            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                            yield '. It was easy to go through with you as my contact.'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 5):
                                pass
                                yield 'Thank you for being my point of contact for the '
                                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                                yield ' role at '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield '. Your clear answers to my questions helped.'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hr'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 0):
            pass
            yield 'Thank you for your time and care during the interview process for the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role at '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield '.'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 1):
                pass
                yield 'Thank you for your help with the practical side of the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' process at '
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield '.'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 2):
                    pass
                    yield 'I wanted to thank you for the care you took with my application for the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' role.'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 3):
                        pass
                        yield 'Many thanks for your part in the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' process at '
                        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                        yield '; from my side it all ran smoothly.'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 4):
                            pass
                            yield 'Thank you for looking after the details of my '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' application at '
                            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                            yield '.'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 5):
                                pass
                                yield 'Thank you for the attention you gave my application for the '
                                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                                yield ' role at '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield '.'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hiring_manager'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 0):
            pass
            yield 'Thank you for considering me for the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role, and for the time you and your team put into the process.'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 1):
                pass
                yield 'Thank you for the time you spent with me on the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' role at '
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield ', and for describing the team so openly.'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 2):
                    pass
                    yield 'I wanted to thank you for considering me for the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' role and for the care your team put into each interview.'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 3):
                        pass
                        yield 'Thank you for meeting with me about the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' role at '
                        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                        yield '; I enjoyed hearing how you run the team.'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 4):
                            pass
                            yield 'Thank you for giving me such a close look at the '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' role and the people behind it.'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 5):
                                pass
                                yield 'Many thanks for the time you and your colleagues gave me during the '
                                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                                yield ' process at '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield '.'
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 0):
            pass
            yield 'Thank you again for taking the time to interview me for the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role at '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield '.'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 1):
                pass
                yield 'Thank you for the time you gave me in the interviews for the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' role at '
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield '.'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 2):
                    pass
                    yield 'I wanted to thank you for interviewing me for the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' position at '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield '.'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 3):
                        pass
                        yield 'Thank you for our interview for the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' role; I am glad we had the chance to talk.'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 4):
                            pass
                            yield 'It was a pleasure to meet you during the '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' interviews at '
                            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                            yield ', and I wanted to say thank you.'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.thanks', 6) == 5):
                                pass
                                yield 'Many thanks for making time to talk with me about the '
                                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                                yield ' role at '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield '.'
    if environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'discussed'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.discussed', 6) == 0):
            pass
            yield ' I especially enjoyed our conversation about '
            yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'discussed'))
            yield '.'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.discussed', 6) == 1):
                pass
                yield ' Our conversation about '
                yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'discussed'))
                yield ' has stayed with me.'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.discussed', 6) == 2):
                    pass
                    yield ' I am still thinking about what we said about '
                    yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'discussed'))
                    yield '.'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.discussed', 6) == 3):
                        pass
                        yield ' I particularly valued hearing your view on '
                        yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'discussed'))
                        yield '.'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.discussed', 6) == 4):
                            pass
                            yield ' The part about '
                            yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'discussed'))
                            yield ' was the highlight for me.'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.discussed', 6) == 5):
                                pass
                                yield ' Talking with you about '
                                yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'discussed'))
                                yield ' taught me something.'
    yield '\n\n'
    if (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'recruiter'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 0):
            pass
            yield 'I was disappointed not to be chosen, but I learned a lot and came away even more impressed with '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield '. I hope our paths cross again.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 1):
                pass
                yield 'The outcome was not what I hoped for, but you made the process a good one, and I would be glad to hear from you about future roles.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 2):
                    pass
                    yield 'I was sorry not to be chosen, and I am grateful that you let me know.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 3):
                        pass
                        yield 'Although it did not work out, I would happily go through a '
                        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                        yield ' process with you again.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 4):
                            pass
                            yield 'It was a disappointment, but the interviews were worth every hour, and I hope we stay in touch.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 5):
                                pass
                                yield 'I am sorry this one did not work out, and I hope we get to work together on another role.\n'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hr'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 0):
            pass
            yield 'I was disappointed not to be chosen, but I learned a lot and came away even more impressed with '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield '. I hope our paths cross again.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 1):
                pass
                yield 'I was disappointed not to be selected, but I left with a very good impression of '
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield '.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 2):
                    pass
                    yield 'The decision was not the one I hoped for; I would still be glad to apply to '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield ' again.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 3):
                        pass
                        yield 'Although I was not chosen, I am grateful for how considerately the process was run.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 4):
                            pass
                            yield 'It was not my turn this time, but I came away thinking well of '
                            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                            yield ' and its people.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 5):
                                pass
                                yield 'I am sorry not to be joining '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield ', and I hope to meet the team again.\n'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hiring_manager'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 0):
            pass
            yield 'I was disappointed not to be chosen, but I learned a lot and came away even more impressed with '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield '. I hope our paths cross again.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 1):
                pass
                yield 'I was disappointed by the decision, but I understand it, and I came away with real respect for the team you have built.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 2):
                    pass
                    yield 'It was not the news I hoped for; even so, I would still be glad to work with you if the timing is right one day.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 3):
                        pass
                        yield 'I am sorry not to be joining, and grateful for how clearly you explained what the role needs.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 4):
                            pass
                            yield 'Though I was not the one you chose, the process made me want to work at '
                            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                            yield ' even more.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 5):
                                pass
                                yield 'The decision was a disappointment, but I learned from it, and I hope I get another chance with your team.\n'
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 0):
            pass
            yield 'I was disappointed not to be chosen, but I learned a lot and came away even more impressed with '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield '. I hope our paths cross again.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 1):
                pass
                yield 'The news was not what I hoped for, but the interviews taught me a lot, and I would be glad to stay in touch.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 2):
                    pass
                    yield 'I am sorry it did not work out this time; I came away with a clearer picture of '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield ' and a lot of respect for how you work.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 3):
                        pass
                        yield 'It was not the outcome I wanted, yet I enjoyed our interview, and I hope we meet again.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 4):
                            pass
                            yield 'Although I was not chosen, I am glad I got to meet you, and I hope we cross paths in the future.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.after', 6) == 5):
                                pass
                                yield 'I was sorry to hear I was not selected, but the conversation was worth having, and I would welcome the chance to work with you one day.\n'
    yield '\n'
    t_1 = []
    pass
    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.closing', 6) == 0):
        pass
        t_1.append(
            'With thanks',
        )
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.closing', 6) == 1):
            pass
            t_1.append(
                'Many thanks',
            )
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.closing', 6) == 2):
                pass
                t_1.append(
                    'Thank you again',
                )
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.closing', 6) == 3):
                    pass
                    t_1.append(
                        'With gratitude',
                    )
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.closing', 6) == 4):
                        pass
                        t_1.append(
                            'Thanks again',
                        )
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.closing', 6) == 5):
                            pass
                            t_1.append(
                                'Gratefully',
                            )
    l_0_closing = (Markup if context.eval_ctx.autoescape else identity)(concat(t_1))
    context.vars['closing'] = l_0_closing
    context.exported_vars.add('closing')
    template = environment.get_template('_signoff.txt.j2', 'thank_you.txt.j2')
    gen = template.root_render_func(template.new_context(context.get_all(), True, {'closing': l_0_closing}))
    try:
        for event in gen:
            yield event
    finally: gen.close()

blocks = {}
debug_info = '1=16&3=18&4=20&5=23&4=29&7=32&4=38&9=41&4=47&11=50&4=56&13=59&4=65&15=68&17=72&18=74&19=77&18=83&21=86&18=92&23=95&18=99&25=102&18=108&27=111&18=117&29=120&31=124&32=126&33=129&32=133&35=136&32=142&37=145&32=149&39=152&32=158&41=161&32=165&43=168&46=174&47=177&46=183&49=186&46=192&51=195&46=201&53=204&46=208&55=211&46=217&57=220&60=224&61=226&62=229&61=233&64=236&61=240&66=243&61=247&68=250&61=254&70=257&61=261&72=264&77=267&78=269&79=272&78=276&85=289&78=293&91=301&92=303&93=306&92=310&95=313&92=317&97=320&92=324&101=332&92=336&103=339&105=341&106=343&107=346&106=350&115=368&106=372&120=377&121=380&120=384&125=392&120=396&135=412&136=455'