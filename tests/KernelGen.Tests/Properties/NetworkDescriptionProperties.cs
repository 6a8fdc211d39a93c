using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using KernelGen.Networks;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Properties;

/// <summary>
/// Network descriptions, damaged as text and rewired as JSON (a node's input, residual, indice key, layer class or
/// weights renamed, nodes dropped, duplicated or reordered, fields given the wrong kind of value): reading and
/// validating either gives a network whose every node reads an earlier node with matching channels, or throws
/// <see cref="NetworkFormatException"/> / <see cref="NetworkValidationException"/> with a one-line message naming the
/// problem.
/// </summary>
public sealed class NetworkDescriptionProperties
{
    private const int Cases = 600;

    private static readonly Lazy<string> Second = new(() =>
    {
        using var stream = typeof(KernelGen.Models.BuiltInModels).Assembly.GetManifestResourceStream("KernelGen.Models.second.json")!;
        return new StreamReader(stream).ReadToEnd();
    });

    private static void ReadAndValidate(string json)
    {
        SparseNetwork network;
        try
        {
            network = NetworkJson.Parse(json, "model.json");
        }
        catch (NetworkFormatException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            Assert.DoesNotContain('\n', e.Message);
            return;
        }
        Fuzz.ReturnsOrRefuses<ValidatedNetwork, NetworkValidationException>(() => NetworkValidator.Validate(network), validated =>
        {
            var seen = new Dictionary<string, int> { [SparseNetwork.InputName] = validated.FeatureChannels.Count };
            for (int i = 0; i < network.Nodes.Count; i++)
            {
                var node = network.Nodes[i];
                var layer = validated.Layers[i];
                Assert.True(seen.TryGetValue(node.From, out int channels), $"{node.Name} reads '{node.From}', not an earlier node");
                Assert.Equal(channels, layer.InChannels);
                if (node.Residual is { } residual)
                {
                    Assert.True(seen.TryGetValue(residual, out int residualChannels), $"{node.Name} adds '{residual}', not an earlier node");
                    Assert.Equal(layer.OutChannels, residualChannels);
                }
                Assert.True(seen.TryAdd(node.Name, layer.OutChannels), $"{node.Name} twice");
            }
            // What validates also round-trips.
            Assert.Equal(network, NetworkJson.Parse(NetworkJson.Serialize(network), "again.json"));
        });
    }

    [Fact]
    public void A_damaged_description_is_read_and_validated_or_refused()
    {
        var valid = Encoding.UTF8.GetBytes(Second.Value);
        Fuzz.Check(Fuzz.Damaged(valid), bytes => ReadAndValidate(Encoding.UTF8.GetString(bytes)), Cases, stream: 21);
    }

    private static readonly Gen<JsonNode?> OddValue = Gen.OneOf(
        Gen.OneOf<JsonNode?>(null, JsonValue.Create(3), JsonValue.Create(-1), JsonValue.Create(""), JsonValue.Create(true), new JsonArray(), new JsonObject()),
        Gen.OneOf("input", "conv_input", "conv1.0", "conv2.0", "nope", "subm1", "spconv2", "KernelGen.Models.Second.SecondSubm16",
            "KernelGen.Models.Second.SecondInput", "KernelGen.Models.CenterPoint.Subm128", "kitti", "nusc", "x", "time").Select(s => (JsonNode?)JsonValue.Create(s)));

    [Fact]
    public void A_rewired_description_is_validated_or_refused_naming_the_node()
    {
        var edit = Gen.Select(Gen.Int[0, 6], Gen.Int[0, 100], Gen.Int[0, 100], OddValue,
            Gen.OneOf("name", "layer", "indiceKey", "from", "residual", "weights", "op", "extra"));
        Fuzz.Check(edit.Array[1, 4], edits =>
        {
            var root = JsonNode.Parse(Second.Value)!.AsObject();
            foreach (var (kind, a, b, value, field) in edits)
            {
                var nodes = root["nodes"]!.AsArray();
                int count = nodes.Count;
                switch (kind)
                {
                    case 0 when count > 0: // a field of a node gets another value
                        nodes[a % count]![field] = value?.DeepClone();
                        break;
                    case 1 when count > 0: // a node is dropped
                        nodes.RemoveAt(a % count);
                        break;
                    case 2 when count > 0: // a node is duplicated somewhere
                        nodes.Insert(b % (count + 1), nodes[a % count]!.DeepClone());
                        break;
                    case 3 when count > 1: // two nodes swap places
                        var (i, j) = (a % count, b % count);
                        var first = nodes[i]!.DeepClone();
                        nodes[i] = nodes[j]!.DeepClone();
                        nodes[j] = first;
                        break;
                    case 4: // the input section changes
                        root["input"]!.AsObject()[field == "name" ? "voxels" : field == "layer" ? "features" : field] = value?.DeepClone();
                        break;
                    case 5: // a top-level field changes
                        root[field == "name" ? "name" : field == "layer" ? "format" : field] = value?.DeepClone();
                        break;
                    default: // a node's weights entry changes
                        if (count > 0 && nodes[a % count]!["weights"] is JsonObject weights)
                        {
                            weights[field == "name" ? "weight" : field == "layer" ? "bias" : "batchNorm"] = value?.DeepClone();
                        }
                        break;
                }
            }
            ReadAndValidate(root.ToJsonString());
        }, Cases, stream: 22, edits => string.Join("; ", edits.Select(e => $"{e.Item1}/{e.Item2}/{e.Item3}/{e.Item5}={e.Item4?.ToJsonString() ?? "null"}")));
    }
}
