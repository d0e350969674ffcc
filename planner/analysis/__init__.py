"""Questions answered on travel times: coverage, gaps and loads; proposals of new sites."""
