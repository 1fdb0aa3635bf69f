"""One module per view of the page; each has draw(s: Settings, traces: Traces) and draws only what
attnviz.figures and attnviz.explain build."""
