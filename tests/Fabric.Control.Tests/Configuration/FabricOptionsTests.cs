using Fabric.Control.Configuration;
using Xunit;

namespace Fabric.Control.Tests.Configuration;

public class FabricOptionsTests
{
    private static FabricOptions FromEnv(params (string Key, string Value)[] vars) =>
        FabricOptions.FromEnvironment(k => vars.FirstOrDefault(v => v.Key == k).Value);

    [Fact]
    public void Environment_variables_lay_over_the_defaults()
    {
        var options = FromEnv(("FABRIC_ROLES", "compute"), ("FABRIC_PORT", "4100"), ("FABRIC_SEEDS", "akka.tcp://fabric@127.0.0.1:4053"),
            ("FABRIC_STORE", "postgres"), ("FABRIC_DB", "Host=127.0.0.1"), ("FABRIC_NODE_NAME", "n1"));

        Assert.Equal(["compute"], options.Roles);
        Assert.Equal(4100, options.Port);
        Assert.Equal(["akka.tcp://fabric@127.0.0.1:4053"], options.Seeds);
        Assert.Equal(StoreKind.Postgres, options.Store);
        Assert.Equal("Host=127.0.0.1", options.Database);
        Assert.Equal("n1", options.NodeName);
    }

    [Theory]
    [InlineData("FABRIC_ROLES", "storage")]
    [InlineData("FABRIC_PORT", "70000")]
    [InlineData("FABRIC_PORT", "abc")]
    [InlineData("FABRIC_SEEDS", "127.0.0.1:4053")]
    [InlineData("FABRIC_SEEDS", "akka.tcp://other@127.0.0.1:4053")]
    [InlineData("FABRIC_STORE", "oracle")]
    public void A_malformed_value_is_an_error_that_names_the_variable(string key, string value)
    {
        var ex = Assert.Throws<FabricConfigurationException>(() => FromEnv((key, value)));

        Assert.Contains(key, ex.Message);
        Assert.Contains(value, ex.Message);
    }

    [Fact]
    public void The_built_configuration_carries_the_options_into_the_hocon_substitutions()
    {
        var config = FabricConfig.Build(new FabricOptions { Port = 0, Database = "/tmp/x/fabric.db", Roles = ["control"] });

        Assert.Equal(0, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["control"], config.GetStringList("akka.cluster.roles"));
        Assert.Contains("/tmp/x/fabric.db", config.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Equal("SQLite.MS", config.GetString("akka.persistence.journal.sql.provider-name"));
    }
}
