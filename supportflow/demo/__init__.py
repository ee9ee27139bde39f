"""Demo data for a fictional company, Brightwave Home Robotics, shipped inside the package.

`tenant/` is a complete tenant folder (tenant.yaml, labelled examples, reply templates);
`kb/` holds help articles and `manuals/` the texts of PDF manuals that `pdfs` renders;
`inbox/` holds customer emails, including deliberately hostile and broken ones, and `inbox`
writes them (plus two generated messages) and the knowledge base into ordinary folders.
"""
