// Each test runs a cluster of fabric-node processes and a PostgreSQL server: on a 2-core machine, one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
