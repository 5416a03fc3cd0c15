from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'notice_forward.subject.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_kind = resolve('kind')
    l_0_company = resolve('company')
    l_0_cancelled = resolve('cancelled')
    l_0_reason = resolve('reason')
    try:
        t_1 = environment.filters['replace']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'replace' found.")
    pass
    if ((undefined(name='kind') if l_0_kind is missing else l_0_kind) == 'rejection'):
        pass
        yield 'Understood: a rejection from '
        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
    elif ((undefined(name='kind') if l_0_kind is missing else l_0_kind) == 'maybe_rejection'):
        pass
        yield 'Is this a rejection? ('
        yield str((undefined(name='company') if l_0_company is missing else l_0_company))
        yield ')'
    elif ((undefined(name='kind') if l_0_kind is missing else l_0_kind) == 'invitation'):
        pass
        if (undefined(name='cancelled') if l_0_cancelled is missing else l_0_cancelled):
            pass
            yield 'Interview cancelled: '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
        else:
            pass
            yield 'Your interview with '
            yield str((undefined(name='company') if l_0_company is missing else l_0_company))
    elif ((undefined(name='kind') if l_0_kind is missing else l_0_kind) == 'not_rejection'):
        pass
        yield 'Understood as '
        yield str(t_1(context.eval_ctx, (undefined(name='reason') if l_0_reason is missing else l_0_reason), 'reads as ', ''))
        yield ': nothing will start'
    else:
        pass
        yield 'Near Miss could not read your forward'

blocks = {}
debug_info = '1=21'