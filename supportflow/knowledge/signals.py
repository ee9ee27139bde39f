"""Cheap relevance signals that add to the fused order of hybrid search.

No cross-encoder reranker ships on PyPI (see `fusion.Reranker` for that seam), so hybrid search
can only add signals that cost next to nothing. Each was kept only where `supportflow eval
retrieve --sweep` showed a gain on both the demo knowledge base and the Bitext FAQ:

- Title match: the share of the question's search terms found in the passage's document
  title. Help-centre articles are titled by the question they answer ("Cancel an order",
  "Warranty"), so a title that names the customer's topic is evidence. With convex fusion at
  alpha 0.6, weight 0.2 raised recall@5 on the Bitext FAQ from 0.993 to 0.996 (recall@1
  0.796 to 0.807, MRR@10 0.883 to 0.889) and left recall@5 on the demo set at 0.971 (recall@1
  0.797 to 0.783, MRR@10 0.866 to 0.863): the best mean recall@5 over the two sets of every
  setting swept, so it is on by default.
- Section-path match (the chunk's headings) was measured the same way and left out: it
  lowered recall@1 on the demo set and added nothing on the Bitext FAQ.
"""

from __future__ import annotations

from supportflow.knowledge.query import keyword_stems, keyword_terms, word_stems

TITLE_WEIGHT = 0.2  # added to the convex fusion value (which lies in [0, 1])


def title_match(query_stems: frozenset[str], title: str) -> float:
    """The share of the query's term stems (see `query_stems`) found in `title`, in [0, 1]."""
    if not query_stems:
        return 0.0
    return len(query_stems & word_stems(title)) / len(query_stems)


def query_stems(query: str) -> frozenset[str]:
    """The stems of the query's search terms, as `title_match` compares them."""
    return keyword_stems(keyword_terms(query))
