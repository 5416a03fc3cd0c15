from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'share_resource.subject.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_contact = resolve('contact')
    pass
    if (environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'kind') == 'introduction'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 0):
            pass
            yield 'An introduction you mentioned'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 1):
                pass
                yield 'Someone you might like to meet'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 2):
                    pass
                    yield 'An offer to introduce you to '
                    yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'introduce_name'))
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 3):
                        pass
                        yield 'Meeting '
                        yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'introduce_name'))
                        yield '?'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 4):
                            pass
                            yield 'The introduction we talked about'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 5):
                                pass
                                yield 'A contact for you: '
                                yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'introduce_name'))
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 0):
            pass
            yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'title'))
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 1):
                pass
                yield 'About '
                yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'title'))
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 2):
                    pass
                    yield 'Following up: '
                    yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'title'))
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 3):
                        pass
                        yield 'Something you asked about: '
                        yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'title'))
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 4):
                            pass
                            yield 'Re our conversation: '
                            yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'title'))
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'share_resource.subject', 6) == 5):
                                pass
                                yield 'For you: '
                                yield str(environment.getattr(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'resource'), 'title'))

blocks = {}
debug_info = '1=12'