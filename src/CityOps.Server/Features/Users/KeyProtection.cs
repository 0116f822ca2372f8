using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;

namespace CityOps.Server.Features.Users;

/// <summary>
/// CityOps:DataProtection — encrypts the sign-in key ring at rest with an X.509 certificate, so
/// whoever reads the database alone cannot forge a sign-in. Without a certificate the keys are
/// stored as the framework writes them.
/// </summary>
public sealed class KeyProtectionOptions
{
    /// <summary>A PKCS#12 (.pfx) file with the certificate and its private key; new keys are encrypted with it.</summary>
    public string? CertificatePath { get; set; }
    public string? CertificatePassword { get; set; }

    /// <summary>Certificates replaced by <see cref="CertificatePath"/>, still needed to read keys encrypted before the change ("path" or "path|password").</summary>
    public List<string> PreviousCertificates { get; set; } = [];
}

public static class KeyProtection
{
    public const string Section = "CityOps:DataProtection";

    /// <summary>Encrypts new keys with the configured certificate and reads keys encrypted with it or a previous one; nothing when none is configured.</summary>
    public static IDataProtectionBuilder ProtectKeysAsConfigured(this IDataProtectionBuilder builder, IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<KeyProtectionOptions>() ?? new KeyProtectionOptions();
        if (string.IsNullOrWhiteSpace(options.CertificatePath)) return builder;
        var current = Load(options.CertificatePath, options.CertificatePassword, "CertificatePath");
        var readers = new List<X509Certificate2> { current };
        foreach (var entry in options.PreviousCertificates.Where(p => !string.IsNullOrWhiteSpace(p)))
        {
            var parts = entry.Split('|', 2);
            readers.Add(Load(parts[0], parts.Length > 1 ? parts[1] : null, "PreviousCertificates"));
        }
        // The readers are given directly: on Linux the framework cannot find a decrypting certificate in a store.
        return builder.ProtectKeysWithCertificate(current).UnprotectKeysWithAnyCertificate([.. readers]);
    }

    private static X509Certificate2 Load(string path, string? password, string setting)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{Section}:{setting}: the certificate '{path}' cannot be read ({e.Message}).", e);
        }
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"{Section}:{setting}: the certificate '{path}' has no private key; the key ring could not be read back.");
        if (certificate.GetRSAPublicKey() is null)
            throw new InvalidOperationException($"{Section}:{setting}: the certificate '{path}' is not an RSA certificate, which key encryption needs.");
        return certificate;
    }
}
