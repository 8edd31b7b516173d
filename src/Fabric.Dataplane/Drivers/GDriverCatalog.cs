using Fabric.Dataplane.Pipeline;

namespace Fabric.Dataplane.Drivers;

/// <summary>Creates software g-drivers by the function names the control plane uses.</summary>
public static class GDriverCatalog
{
    public static IReadOnlyList<string> Functions { get; } =
        ["aes-256-gcm", "chacha20-poly1305", "sha256", "hmac-sha256", "crc32c", "deflate", "brotli",
         "aes-128-cbc", "aes-256-cbc", "aes-128-cbc-hmac-sha1", "aes-256-cbc-hmac-sha1", "aes-128-cbc-hmac-sha256", "aes-256-cbc-hmac-sha256", "aes-128-gcm",
         "aes-cbc"];

    /// <summary>
    /// Functions that take the descriptor's whole param as their IV: a pipeline hands its stages the 12-byte nonce
    /// only, and CBC has no padding, so these run alone, never as a pipeline stage.
    /// </summary>
    public static bool IsCbc(string function) => function.StartsWith("aes-", StringComparison.Ordinal) && function.Contains("-cbc", StringComparison.Ordinal);

    /// <summary>
    /// A driver for one function ("aes-256-gcm"), or a pipeline when stages are joined by "->"
    /// ("deflate->aes-256-gcm->sha256"). Throws <see cref="ArgumentException"/> naming the known functions.
    /// </summary>
    /// <param name="deflateSliceBytes">input a deflate driver compresses per poll (<see cref="DeflateDriver.SliceBytes"/>).</param>
    public static IGDriver Create(string function, int pipelineScratchCapacity = 256 * 1024, int deflateSliceBytes = DeflateDriver.DefaultSliceBytes)
    {
        if (function.Contains("->", StringComparison.Ordinal))
        {
            var names = function.Split("->", StringSplitOptions.TrimEntries);
            var stages = new List<IGDriver>(names.Length);
            try
            {
                foreach (var name in names)
                {
                    if (IsCbc(name))
                    {
                        throw new ArgumentException($"'{name}' cannot be a pipeline stage (its IV is the whole param, its input unpadded blocks); use it alone", nameof(function));
                    }
                    stages.Add(CreateSingle(name, deflateSliceBytes));
                }
            }
            catch
            {
                foreach (var s in stages)
                {
                    s.Dispose();
                }
                throw;
            }
            return new PipelineDriver(stages, pipelineScratchCapacity);
        }
        return CreateSingle(function.Trim(), deflateSliceBytes);
    }

    private static IGDriver CreateSingle(string name, int deflateSliceBytes) => name switch
    {
        "aes-256-gcm" => new AesGcmDriver(),
        "aes-128-gcm" => new AesGcmDriver(only128: true),
        "chacha20-poly1305" => new ChaCha20Poly1305Driver(),
        "sha256" => new Sha256Driver(),
        "hmac-sha256" => new HmacSha256Driver(),
        "crc32c" => new Crc32CDriver(),
        "deflate" => new DeflateDriver(sliceBytes: deflateSliceBytes),
        "brotli" => new BrotliDriver(),
        "aes-128-cbc" => new AesCbcDriver(16),
        "aes-256-cbc" => new AesCbcDriver(32),
        "aes-cbc" => new AesCbcDriver(),
        "aes-128-cbc-hmac-sha1" => new AesCbcHmacDriver(16, System.Security.Cryptography.HashAlgorithmName.SHA1),
        "aes-256-cbc-hmac-sha1" => new AesCbcHmacDriver(32, System.Security.Cryptography.HashAlgorithmName.SHA1),
        "aes-128-cbc-hmac-sha256" => new AesCbcHmacDriver(16, System.Security.Cryptography.HashAlgorithmName.SHA256),
        "aes-256-cbc-hmac-sha256" => new AesCbcHmacDriver(32, System.Security.Cryptography.HashAlgorithmName.SHA256),
        _ => throw new ArgumentException($"unknown g-driver function '{name}'; known: {string.Join(", ", Functions)} (join with '->' for a pipeline)", nameof(name)),
    };
}
