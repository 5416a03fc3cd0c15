from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'prove_address.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_address = resolve('address')
    l_0_confirm_url = resolve('confirm_url')
    pass
    yield 'Hello,\n\nSomeone, we hope you, gave this address ('
    yield str((undefined(name='address') if l_0_address is missing else l_0_address))
    yield ') to Near Miss as their own: replies from the people they write to, and the drafts they review, would come here.\n\nIf it is yours, open this link and press "Confirm": '
    yield str((undefined(name='confirm_url') if l_0_confirm_url is missing else l_0_confirm_url))
    yield '\n\nThe link works for 48 hours. If this was not you, ignore this message: nothing is sent to this address, or in its name, until it is confirmed.\n\nNear Miss'

blocks = {}
debug_info = '3=14&5=16'