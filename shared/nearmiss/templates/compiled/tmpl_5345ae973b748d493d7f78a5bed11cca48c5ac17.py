from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'notice_summary.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_first_name = resolve('first_name')
    l_0_entries = resolve('entries')
    l_0_job_title = resolve('job_title')
    l_0_company = resolve('company')
    l_0_timeline_url = resolve('timeline_url')
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    pass
    yield 'Hi '
    yield str((undefined(name='first_name') if l_0_first_name is missing else l_0_first_name))
    yield ',\n\n'
    yield str(('This note' if (t_1((undefined(name='entries') if l_0_entries is missing else l_0_entries)) == 1) else 'These notes'))
    yield ' for the '
    yield str((undefined(name='job_title') if l_0_job_title is missing else l_0_job_title))
    yield ' role at '
    yield str((undefined(name='company') if l_0_company is missing else l_0_company))
    yield ' will not go out:\n\n'
    for l_1_e in (undefined(name='entries') if l_0_entries is missing else l_0_entries):
        _loop_vars = {}
        pass
        yield '- '
        yield str(environment.getattr(l_1_e, 'kind_label'))
        yield ' to '
        yield str(environment.getattr(l_1_e, 'recipient'))
        yield ' ('
        yield str(environment.getattr(l_1_e, 'role_label'))
        yield '): '
        yield str(environment.getattr(l_1_e, 'why'))
        yield '\n'
    l_1_e = missing
    yield '\nA note that arrives late does more harm than none, so Near Miss lets it go rather than send it late. Everything else planned for this application: '
    yield str((undefined(name='timeline_url') if l_0_timeline_url is missing else l_0_timeline_url))

blocks = {}
debug_info = '1=23&3=25&5=31&6=35&9=45'