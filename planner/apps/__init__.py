"""Entry points over the API: the CLI, scenario files, batches on Dask, doctor."""
