using System.Security.Cryptography;
using System.Text;

namespace CityOps.Server.Features.Intake;

/// <summary>Channel API keys: 32 random bytes shown once; only their SHA-256 is stored.</summary>
public static class ApiKeys
{
    public static string NewKey() => "co_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .Replace('+', '-').Replace('/', '_').TrimEnd('=');

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string Prefix(string key) => key.Length <= 8 ? key : key[..8];
}
