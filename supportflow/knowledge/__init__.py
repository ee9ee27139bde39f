"""The tenant's knowledge base: documents loaded, chunked, indexed and searched.

loaders.py          a file (PDF, DOCX, Markdown, HTML, text) -> LoadedDocument of titled sections
  document.py         Section, LoadedDocument and the outline builder the readers share
  pdf_reader.py       pdfium: each page's lines with their type style
  pdf_layout.py       those lines -> headings and paragraphs (pdf_headings.py: which are which)
  docx_reader.py, markdown_reader.py, html_reader.py
chunking.py         LoadedDocument -> Chunks that follow its structure
library.py          versions, add / sync a folder / remove, what CLI and API show of a document
index.py            add / list / delete one document, search passages (the public entry point)
  passages.py         Passage and the PassageIndex seam
  keyword_index.py    SQLite FTS5 with BM25
  query.py            an email -> search terms
  vector_index.py     sqlite-vec, and the embedding cache by content hash
  embeddings.py       MiniLM int8 (onnxruntime) or multilingual e5, loaded offline
  embedding_cache.py  pruning cached vectors no chunk uses any more
  fusion.py           hybrid: reciprocal rank fusion or the convex mix; the Reranker seam
  signals.py          cheap signals added to the fused order (title match)
  relevance.py        the floor under which a passage is not cited
capabilities.py     which search modes this database and machine can run, and why not
"""
