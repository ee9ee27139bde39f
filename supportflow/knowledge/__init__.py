"""The tenant's knowledge base: documents loaded, chunked, indexed and searched.

loaders.py          a file (PDF, Markdown, HTML, text) -> LoadedDocument of titled sections
  document.py         Section, LoadedDocument and the outline builder the readers share
  pdf_reader.py       pdfium: each page's lines with their type style
  pdf_layout.py       those lines -> headings and paragraphs
  markdown_reader.py, html_reader.py
chunking.py         LoadedDocument -> Chunks that follow its structure
index.py            add / list / delete documents, search passages (the public entry point)
  passages.py         Passage and the PassageIndex seam (keyword now, vectors later)
  keyword_index.py    SQLite FTS5 with BM25
  query.py            an email -> search terms
"""
