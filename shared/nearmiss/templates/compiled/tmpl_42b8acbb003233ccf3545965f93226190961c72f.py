from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'share_resource.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_contact = resolve('contact')
    l_0_r = l_0_d = l_0_closing = missing
    pass
    yield 'Hi '
    yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'first_name'))
    yield ',\n\n'
    l_0_r = environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource')
    context.vars['r'] = l_0_r
    context.exported_vars.add('r')
    l_0_d = environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'discussed')
    context.vars['d'] = l_0_d
    context.exported_vars.add('d')
    if (environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'kind') == 'link'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 0):
            pass
            yield 'When we spoke'
            if (undefined(name='d') if l_0_d is missing else l_0_d):
                pass
                yield ' about '
                yield str((undefined(name='d') if l_0_d is missing else l_0_d))
            yield ', you mentioned you were looking for '
            yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
            yield '. I tracked it down:\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 1):
                pass
                yield 'You mentioned '
                yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                if (undefined(name='d') if l_0_d is missing else l_0_d):
                    pass
                    yield ' while we were talking about '
                    yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                yield ', so I went looking. Here it is:\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 2):
                    pass
                    if (undefined(name='d') if l_0_d is missing else l_0_d):
                        pass
                        yield 'Our conversation about '
                        yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                        yield ' reminded me'
                    else:
                        pass
                        yield 'I remembered'
                    yield ' that you wanted '
                    yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                    yield '. This is the one:\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 3):
                        pass
                        yield 'During our conversation'
                        if (undefined(name='d') if l_0_d is missing else l_0_d):
                            pass
                            yield ' on '
                            yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                        yield ', you asked about '
                        yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                        yield ', and I found it:\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 4):
                            pass
                            yield 'Since we talked'
                            if (undefined(name='d') if l_0_d is missing else l_0_d):
                                pass
                                yield ' about '
                                yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                            yield ', I have kept '
                            yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                            yield ' in mind for you. You can find it here:\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 5):
                                pass
                                yield 'Here is '
                                yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                                yield ', which came up when we spoke'
                                if (undefined(name='d') if l_0_d is missing else l_0_d):
                                    pass
                                    yield ' about '
                                    yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                                yield ':\n'
        yield '\n'
        yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'url'))
        yield '\n'
    elif (environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'kind') == 'information'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 0):
            pass
            yield 'When we spoke'
            if (undefined(name='d') if l_0_d is missing else l_0_d):
                pass
                yield ' about '
                yield str((undefined(name='d') if l_0_d is missing else l_0_d))
            yield ', you wondered about '
            yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
            yield '. Here is what I found.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 1):
                pass
                yield 'You asked about '
                yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                if (undefined(name='d') if l_0_d is missing else l_0_d):
                    pass
                    yield ' when we talked about '
                    yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                yield ', so I looked into it.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 2):
                    pass
                    if (undefined(name='d') if l_0_d is missing else l_0_d):
                        pass
                        yield 'After our conversation about '
                        yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                        yield ', I'
                    else:
                        pass
                        yield 'I'
                    yield ' followed up on your question about '
                    yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                    yield '.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 3):
                        pass
                        yield 'Since we spoke'
                        if (undefined(name='d') if l_0_d is missing else l_0_d):
                            pass
                            yield ' about '
                            yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                        yield ', I have found out more about '
                        yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                        yield '.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 4):
                            pass
                            yield 'This is what I learned about '
                            yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                            yield ', a question that came up when we spoke'
                            if (undefined(name='d') if l_0_d is missing else l_0_d):
                                pass
                                yield ' about '
                                yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                            yield '.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 5):
                                pass
                                yield 'You were curious about '
                                yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                                if (undefined(name='d') if l_0_d is missing else l_0_d):
                                    pass
                                    yield ' during our talk on '
                                    yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                                yield '; I dug a little and have an answer.\n'
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 0):
            pass
            yield 'When we spoke'
            if (undefined(name='d') if l_0_d is missing else l_0_d):
                pass
                yield ' about '
                yield str((undefined(name='d') if l_0_d is missing else l_0_d))
            yield ', you mentioned you would like to meet someone who '
            yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
            yield '. I would be glad to introduce you to '
            yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'introduce_name'))
            yield '; just say the word and I will connect you both.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 1):
                pass
                yield 'You said'
                if (undefined(name='d') if l_0_d is missing else l_0_d):
                    pass
                    yield ', while we talked about '
                    yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                    yield ','
                yield ' that you would like to know someone who '
                yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                yield '. '
                yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'introduce_name'))
                yield ' is that person, and I would be happy to put you in touch.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 2):
                    pass
                    if (undefined(name='d') if l_0_d is missing else l_0_d):
                        pass
                        yield 'Our talk about '
                        yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                        yield ' made me think'
                    else:
                        pass
                        yield 'I have been thinking'
                    yield ' of your wish to meet someone who '
                    yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                    yield '. If it would help, I can introduce you to '
                    yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'introduce_name'))
                    yield '.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 3):
                        pass
                        yield 'When we talked'
                        if (undefined(name='d') if l_0_d is missing else l_0_d):
                            pass
                            yield ' about '
                            yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                        yield ', you were hoping to meet someone who '
                        yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                        yield '. I could introduce you to '
                        yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'introduce_name'))
                        yield ', if that would be useful.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 4):
                            pass
                            yield 'You mentioned'
                            if (undefined(name='d') if l_0_d is missing else l_0_d):
                                pass
                                yield ' during our conversation about '
                                yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                            yield ' that it would help to talk to someone who '
                            yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                            yield '. '
                            yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'introduce_name'))
                            yield ' could be a good person for that, and I would gladly make the introduction.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.opening', 6) == 5):
                                pass
                                yield 'Since we spoke'
                                if (undefined(name='d') if l_0_d is missing else l_0_d):
                                    pass
                                    yield ' about '
                                    yield str((undefined(name='d') if l_0_d is missing else l_0_d))
                                yield ', I have had someone in mind for you: '
                                yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'introduce_name'))
                                yield ', who '
                                yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'title'))
                                yield '. Tell me if you would like me to connect you.\n'
    if environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'note'):
        pass
        yield '\n'
        yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'note'))
        yield '\n'
    if (environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'url') and (environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'kind') != 'link')):
        pass
        yield '\n'
        yield str(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'url'))
        yield '\n'
    yield '\n'
    if (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hiring_manager'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 0):
            pass
            yield 'No need to reply; I hope it helps you and the team.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 1):
                pass
                yield 'I hope it is of use to your team, and please do not feel you have to answer.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 2):
                    pass
                    yield 'Feel free to pass it on to anyone on the team who would find it useful.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 3):
                        pass
                        yield 'If it is useful to someone in your group, I am glad; nothing else needed.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 4):
                            pass
                            yield 'I thought of your team when I came across it; there is nothing you need to do.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 5):
                                pass
                                yield 'Share it with the team if it helps, and no reply is expected.\n'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'recruiter'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 0):
            pass
            yield 'No need to reply; I hope it helps.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 1):
                pass
                yield 'I hope it comes in handy, and there is no need to write back.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 2):
                    pass
                    yield 'Please do not go to any trouble replying; I simply wanted to send it along.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 3):
                        pass
                        yield 'It is yours to use as you like, with no answer needed.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 4):
                            pass
                            yield 'I hope it is helpful in your work; you need not respond.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 5):
                                pass
                                yield 'Just passing it on, in case it helps with what you are working on.\n'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hr'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 0):
            pass
            yield 'I hope it helps, and there is nothing you need to send back.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 1):
                pass
                yield 'I hope this is useful to you; no reply necessary.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 2):
                    pass
                    yield 'No need to get back to me; I was happy to look it up.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 3):
                        pass
                        yield 'I hope it is what you were after, and there is no need to respond.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 4):
                            pass
                            yield 'I wanted you to have it, with nothing to do on your side.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 5):
                                pass
                                yield 'In case it is useful; please do not feel obliged to reply.\n'
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 0):
            pass
            yield 'I hope it is useful; there is no need to reply.\n'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 1):
                pass
                yield 'No need to answer; I just thought you would want it.\n'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 2):
                    pass
                    yield 'I was glad to find it for you, and you need not write back.\n'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 3):
                        pass
                        yield 'Nothing for you to do here; I just wanted you to have it.\n'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 4):
                            pass
                            yield 'I hope it saves you a little time; no response needed.\n'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.close', 6) == 5):
                                pass
                                yield 'Enjoy it, and please do not feel you need to reply.\n'
    yield '\n'
    t_1 = []
    pass
    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.closing', 6) == 0):
        pass
        t_1.append(
            'All the best',
        )
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.closing', 6) == 1):
            pass
            t_1.append(
                'Best wishes',
            )
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.closing', 6) == 2):
                pass
                t_1.append(
                    'Kind regards',
                )
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.closing', 6) == 3):
                    pass
                    t_1.append(
                        'All good wishes',
                    )
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.closing', 6) == 4):
                        pass
                        t_1.append(
                            'Best',
                        )
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.closing', 6) == 5):
                            pass
                            t_1.append(
                                'Warmly',
                            )
    l_0_closing = (Markup if context.eval_ctx.autoescape else identity)(concat(t_1))
    context.vars['closing'] = l_0_closing
    context.exported_vars.add('closing')
    template = environment.get_template('_signoff.txt.j2', 'share_resource.txt.j2')
    gen = template.root_render_func(template.new_context(context.get_all(), True, {'closing': l_0_closing, 'd': l_0_d, 'r': l_0_r}))
    try:
        for event in gen:
            yield event
    finally: gen.close()

blocks = {}
debug_info = '1=14&3=16&4=19&5=22&6=24&7=27&6=36&9=39&6=47&11=49&6=62&13=65&6=74&15=77&6=86&17=89&20=97&21=99&22=101&23=104&22=113&25=116&22=124&27=126&22=139&29=142&22=151&31=154&22=163&33=166&36=174&37=177&36=188&39=191&36=203&41=205&36=220&43=223&36=234&45=237&36=248&47=251&50=260&52=263&54=265&56=268&59=271&60=273&73=301&74=303&87=331&88=333&102=363&117=394&118=437'