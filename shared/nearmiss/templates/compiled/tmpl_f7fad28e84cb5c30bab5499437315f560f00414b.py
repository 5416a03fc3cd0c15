from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'check_in.subject.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_candidate = resolve('candidate')
    l_0_job_title = resolve('job_title')
    l_0_company = resolve('company')
    pass
    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.subject', 6) == 0):
        pass
        yield 'Checking in from '
        yield str(environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'first_name'))
        yield ': '
        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
    else:
        pass
        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.subject', 6) == 1):
            pass
            yield 'Still interested in '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
        else:
            pass
            if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.subject', 6) == 2):
                pass
                yield 'Hello again from '
                yield str(environment.getattr((undefined(name='candidate') if l_0_candidate is missing else l_0_candidate), 'first_name'))
            else:
                pass
                if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.subject', 6) == 3):
                    pass
                    yield 'Following up on the '
                    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    yield ' role'
                else:
                    pass
                    if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.subject', 6) == 4):
                        pass
                        yield 'A few months on: '
                        yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                    else:
                        pass
                        if (context.call(environment.extensions['nearmiss.domain.compose.Phrasings']._pick, context, 'check_in.subject', 6) == 5):
                            pass
                            yield 'Keeping in touch after the '
                            yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
                            yield ' interviews'

blocks = {}
debug_info = '1=14'