from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'thank_you.subject.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_contact = resolve('contact')
    l_0_job_title = resolve('job_title')
    l_0_candidate = resolve('candidate')
    pass
    if (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'recruiter'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 0):
            pass
            yield 'Thank you for your help with the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' process'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 1):
                pass
                yield 'Thanks for guiding me through the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' interviews'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 2):
                    pass
                    yield 'With thanks for your help on the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' role'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 3):
                        pass
                        yield 'Grateful for your help with the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' process'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 4):
                            pass
                            yield 'Thank you for keeping me informed'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 5):
                                pass
                                yield 'A thank-you from '
                                yield str(environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'first_name'))
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hiring_manager'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 0):
            pass
            yield 'Thank you for considering me for the '
            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
            yield ' role'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 1):
                pass
                yield 'Thanks for your time on the '
                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                yield ' role'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 2):
                    pass
                    yield 'With thanks for considering me'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 3):
                        pass
                        yield 'Thank you for the '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                        yield ' interviews'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 4):
                            pass
                            yield 'Grateful for your consideration'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 5):
                                pass
                                yield 'Thank you from '
                                yield str(environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'first_name'))
                                yield ', '
                                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                                yield ' candidate'
    elif (environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'role') == 'hr'):
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 0):
            pass
            yield 'Thank you for your care during the process'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 1):
                pass
                yield 'Thanks for your help with my application'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 2):
                    pass
                    yield 'With thanks for your time'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 3):
                        pass
                        yield 'Grateful for a well-run process'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 4):
                            pass
                            yield 'Thank you for looking after my application'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 5):
                                pass
                                yield 'A note of thanks about the '
                                yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                                yield ' process'
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 0):
            pass
            yield 'Thank you for our conversation'
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 1):
                pass
                yield 'Thanks for the interview'
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 2):
                    pass
                    yield 'With thanks for your time'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 3):
                        pass
                        yield 'Thank you for meeting me'
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 4):
                            pass
                            yield 'Grateful for our talk about the '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' role'
                        else:
                            pass
                            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'thank_you.subject', 6) == 5):
                                pass
                                yield 'Thanks from '
                                yield str(environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'first_name'))

blocks = {}
debug_info = '1=14'