"""bench/run's parts: common plumbing, servers, peers, P1..P4, the report."""
