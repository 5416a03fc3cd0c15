from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'check_in.txt.j2'

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
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 0):
            pass
            yield 'It has been a little while since we spoke about the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role at '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield ', and I wanted to check in.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 1):
                pass
                yield 'It has been a few months since the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' process at '
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield ', and I wanted to say hello.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 2):
                    pass
                    yield 'I hope all is well with you; some time has passed since we worked together on the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' role.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 3):
                        pass
                        yield 'I wanted to get back in touch now that a few months have gone by since the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' interviews.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 4):
                            pass
                            yield 'It is a while since you guided me through the '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' process, so I thought I would check in.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 5):
                                pass
                                yield 'A little time has passed since we last spoke about '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield ', and I wanted to follow up with you.\n'
        yield '\n'
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 0):
            pass
            yield 'I am still very interested in '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield ". If another position comes up, or if the person you hired doesn't work out, I would still love the chance to join the team."
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 1):
                pass
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield ' is still where I would like to be. If another position opens, or if the person hired does not work out, I would love to be considered.'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 2):
                    pass
                    yield 'I am as interested in '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield ' as ever. Should a new role come up, or the hire not work out, I would be glad to hear from you.'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 3):
                        pass
                        yield 'My interest in '
                        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                        yield ' is as strong as it was. If there is another opening, or the new hire does not stay, please keep me in mind.'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 4):
                            pass
                            yield 'I would still love to join '
                            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                            yield '. If another role appears, or things do not work out with the person chosen, I hope you will think of me.'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 5):
                                pass
                                yield 'I still hope to work at '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield ' one day. If a position comes up, or the hire moves on, I would gladly go through the process again.'
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.elsewhere', 6) == 0):
            pass
            yield ' And if you hear of a role elsewhere that fits, I would be grateful if you thought of me.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.elsewhere', 6) == 1):
                pass
                yield ' And if a role at another company would suit me, I would be glad to hear about it too.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.elsewhere', 6) == 2):
                    pass
                    yield ' I would also welcome a word if you come across something suitable elsewhere.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.elsewhere', 6) == 3):
                        pass
                        yield ' If you know of a fitting role at another company, I would appreciate hearing of it as well.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.elsewhere', 6) == 4):
                            pass
                            yield ' And should a good fit turn up elsewhere, I would be thankful for a mention.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.elsewhere', 6) == 5):
                                pass
                                yield ' Roles outside '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield ' interest me too, if one comes your way.\n'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hr'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 0):
            pass
            yield 'It has been a few months since my interviews for the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role at '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield ', and I wanted to check in.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 1):
                pass
                yield 'Some time has passed since my application for the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' role, and I wanted to get in touch again.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 2):
                    pass
                    yield 'I hope you are well; it has been a while since the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' process at '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield '.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 3):
                        pass
                        yield 'I am writing a few months after the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' interviews, to check in.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 4):
                            pass
                            yield 'Now that a little time has gone by since my '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' application, I wanted to follow up.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 5):
                                pass
                                yield 'It is some months since you looked after my application at '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield ', and I wanted to say hello.\n'
        yield '\n'
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 0):
            pass
            yield 'I am still very interested in '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield ". If another position comes up, or if the person hired doesn't work out, I would still love the chance to join.\n"
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 1):
                pass
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield ' is still a place I would love to work. If a new position opens, or the person hired moves on, I would be glad to apply again.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 2):
                    pass
                    yield 'My interest in '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield ' is unchanged. Should another role come up, or the hire not work out, I hope my application can be considered.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 3):
                        pass
                        yield 'I would still very much like to join '
                        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                        yield '. If there is a new opening, or the chosen candidate does not stay, please keep my details.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 4):
                            pass
                            yield 'I remain interested in '
                            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                            yield '. If another role appears, or things change with the person you hired, I would welcome the chance to join.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 5):
                                pass
                                yield 'I still hope to be part of '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield ' one day. If a position opens or the hire does not work out, I would love to hear from you.\n'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hiring_manager'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 0):
            pass
            yield 'It has been a few months since I interviewed for the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role on your team, and I wanted to check in.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 1):
                pass
                yield 'It has been a while since you considered me for the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' role, and I wanted to check in with you.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 2):
                    pass
                    yield 'I hope the team is doing well; it has been a few months since my interviews for the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' role at '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield '.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 3):
                        pass
                        yield 'Now that some time has passed since the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' process, I wanted to get back in touch.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 4):
                            pass
                            yield 'I wanted to say hello, a few months on from our conversations about the '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' role.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 5):
                                pass
                                yield 'Some months have gone by since I met you and your team for the '
                                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                                yield ' role, so I am writing to check in.\n'
        yield '\n'
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 0):
            pass
            yield 'I am still very interested in '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield ". If another position comes up, or if the person you hired doesn't work out, I would still love the chance to join the team.\n"
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 1):
                pass
                yield 'I remain very interested in working with you. If another position opens, or if the person you hired does not work out, I would love the chance to join your team.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 2):
                    pass
                    yield 'Your team is still one I would very much like to join. Should a new role come up, or the hire not work out, I hope you will consider me.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 3):
                        pass
                        yield 'I would still be glad to work for you. If there is another opening, or things change with the person you hired, please think of me.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 4):
                            pass
                            yield 'My interest in the team has not faded. If another role appears, or the new hire does not work out, I would still love to join.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 5):
                                pass
                                yield 'I am still keen on '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield ', and on your team in particular. If a position comes up, or the hire does not work out, I would be grateful for another chance.\n'
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 0):
            pass
            yield 'It has been a few months since I interviewed for the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role on your team, and I wanted to check in.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 1):
                pass
                yield 'A few months have passed since my interviews for the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' role at '
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield ', and I wanted to say hello.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 2):
                    pass
                    yield 'I have been thinking about '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield ' since our interview for the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' role, so I thought I would check in.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 3):
                        pass
                        yield 'Some time has gone by since we met about the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' role, and I hope things are going well for you.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 4):
                            pass
                            yield 'I wanted to get back in touch, now that a little time has passed since the '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' interviews.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.opening', 6) == 5):
                                pass
                                yield 'It was a while ago now that we spoke about the '
                                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                                yield ' role at '
                                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                                yield ', and I wanted to follow up.\n'
        yield '\n'
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 0):
            pass
            yield 'I am still very interested in '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
            yield ". If another position comes up, or if the person you hired doesn't work out, I would still love the chance to join the team.\n"
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 1):
                pass
                yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                yield ' is still high on my list. Should another role open up, or the person you hired not work out, I would be glad to be considered again.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 2):
                    pass
                    yield 'My interest in '
                    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                    yield ' has not changed. If a new position appears, or the hire does not work out, I would love another chance to join you.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 3):
                        pass
                        yield 'I would still very much like to work at '
                        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                        yield '. Please keep me in mind if another opening comes along or if the new hire does not work out.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 4):
                            pass
                            yield 'I remain keen on joining '
                            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
                            yield '. If there is ever another opening, or things do not work out with the person you chose, I would welcome the chance.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.door', 6) == 5):
                                pass
                                yield 'I still hope to work with your team one day. Whether a new role comes up or the person you hired moves on, I would love to be in the running.\n'
    yield '\n'
    t_1 = []
    pass
    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.closing', 6) == 0):
        pass
        t_1.append(
            'Warm regards',
        )
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.closing', 6) == 1):
            pass
            t_1.append(
                'Best regards',
            )
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.closing', 6) == 2):
                pass
                t_1.append(
                    'With best wishes',
                )
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.closing', 6) == 3):
                    pass
                    t_1.append(
                        'Kindest regards',
                    )
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.closing', 6) == 4):
                        pass
                        t_1.append(
                            'Regards',
                        )
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.closing', 6) == 5):
                            pass
                            t_1.append(
                                'All my best',
                            )
    l_0_closing = (Markup if context.eval_ctx.autoescape else identity)(concat(t_1))
    context.vars['closing'] = l_0_closing
    context.exported_vars.add('closing')
    template = environment.get_template('_signoff.txt.j2', 'check_in.txt.j2')
    gen = template.root_render_func(template.new_context(context.get_all(), True, {'closing': l_0_closing}))
    try:
        for event in gen:
            yield event
    finally: gen.close()

blocks = {}
debug_info = '1=16&3=18&4=20&5=23&4=29&7=32&4=38&9=41&4=45&11=48&4=52&13=55&4=59&15=62&18=65&19=68&18=72&21=74&18=78&23=81&18=85&25=88&18=92&27=95&18=99&29=102&31=104&42=132&44=134&45=136&46=139&45=145&48=148&45=152&50=155&45=161&52=164&45=168&54=171&45=175&56=178&59=181&60=184&59=188&62=190&59=194&64=197&59=201&66=204&59=208&68=211&59=215&70=218&72=220&73=222&74=225&73=229&76=232&73=236&78=239&73=245&80=248&73=252&82=255&73=259&84=262&87=265&88=268&87=272&98=295&101=299&102=302&101=306&104=309&101=315&106=318&101=324&108=327&101=331&110=334&101=338&112=341&115=346&116=349&115=353&118=355&115=359&120=362&115=366&122=369&115=373&124=376&115=380&130=386&131=429'