"""Training a tenant's classifier into versions: gather the labelled rows, train a candidate,
compare it with the live model on a held-out split, and promote, refuse or shadow it."""
