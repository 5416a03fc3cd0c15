from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'draft.subject.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_kind_label = resolve('kind_label')
    l_0_contact = resolve('contact')
    l_0_company = resolve('company')
    pass
    yield 'Draft for your review: '
    yield str((undefined(name='kind_label') if l_0_kind_label is missing else l_0_kind_label))
    yield ' to '
    yield str(environment.getattr((undefined(name='contact') if l_0_contact is missing else l_0_contact), 'name'))
    yield ' ('
    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
    yield ')'

blocks = {}
debug_info = '1=15'