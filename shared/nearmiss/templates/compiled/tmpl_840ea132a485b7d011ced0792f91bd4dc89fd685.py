from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_layout.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_subject = resolve('subject')
    l_0_paragraphs = resolve('paragraphs')
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>'
    yield escape((undefined(name='subject') if l_0_subject is missing else l_0_subject))
    yield '</title></head>\n<body style="font-family: Georgia, \'Times New Roman\', serif; font-size: 16px; line-height: 1.5; color: #222; max-width: 40em;">\n'
    l_1_loop = missing
    for l_1_paragraph, l_1_loop in LoopContext((undefined(name='paragraphs') if l_0_paragraphs is missing else l_0_paragraphs), undefined):
        _loop_vars = {}
        pass
        yield '<p>'
        l_2_loop = missing
        for l_2_line, l_2_loop in LoopContext(l_1_paragraph, undefined):
            _loop_vars = {}
            pass
            for (l_3_piece, l_3_is_link) in l_2_line:
                _loop_vars = {}
                pass
                if l_3_is_link:
                    pass
                    yield '<a href="'
                    yield escape(l_3_piece)
                    yield '">'
                    yield escape(l_3_piece)
                    yield '</a>'
                else:
                    pass
                    yield escape(l_3_piece)
            l_3_piece = l_3_is_link = missing
            if (not environment.getattr(l_2_loop, 'last')):
                pass
                yield '<br>\n'
        l_2_loop = l_2_line = missing
        yield '</p>\n'
    l_1_loop = l_1_paragraph = missing
    yield '</body>\n</html>'

blocks = {}
debug_info = '3=14&5=17&6=22'