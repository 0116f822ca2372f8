using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CityOps.Server.Data;
using CityOps.Server.Data.Seeding;
using CityOps.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Resilience;

/// <summary>
/// With CityOps:DataProtection:CertificatePath set, the sign-in key ring is stored encrypted: the
/// database alone does not give the key away, instances with the certificate share sign-ins, one
/// without it cannot read them, and a certificate that cannot be used stops the start with a clear message.
/// </summary>
public sealed class KeyProtectionTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task With_a_certificate_the_key_ring_is_stored_encrypted_and_read_only_with_it(string db)
    {
        var folder = Directory.CreateTempSubdirectory("cityops-keys-");
        try
        {
            var pfx = Path.Combine(folder.FullName, "keys.pfx");
            await File.WriteAllBytesAsync(pfx, Certificate("CN=CityOps key ring", "s3cret-pfx"));
            var settings = new Dictionary<string, string?>
            {
                ["CityOps:DataProtection:CertificatePath"] = pfx,
                ["CityOps:DataProtection:CertificatePassword"] = "s3cret-pfx",
            };
            await using var first = await CityOpsApp.StartAsync(db, settings);
            await using var second = await CityOpsApp.StartAsync(db, settings, connection: first.ConnectionString);
            var login = new { email = $"dispatcher@{UserSeed.DemoDomain}", password = UserSeed.DemoPassword };
            var token = (await (await first.CreateClient().PostAsJsonAsync("/api/auth/login", login)).Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
            Assert.Equal(HttpStatusCode.OK, (await Me(second, token)).StatusCode);

            await using (var scope = first.Services.CreateAsyncScope())
            {
                var key = Assert.Single(await scope.ServiceProvider.GetRequiredService<CityOpsDb>().DataProtectionKeys.AsNoTracking().ToListAsync());
                Assert.Contains("EncryptedData", key.Xml, StringComparison.Ordinal);
                Assert.DoesNotContain("<masterKey", key.Xml, StringComparison.Ordinal);
            }

            // An instance on the same database without the certificate cannot read the key, so not the sign-in either.
            await using (var without = await CityOpsApp.StartAsync(db, connection: first.ConnectionString))
                Assert.Equal(HttpStatusCode.Unauthorized, (await Me(without, token)).StatusCode);

            // The certificate replaced: the old one, kept as a previous certificate, still reads the sign-ins made with the old key.
            var next = Path.Combine(folder.FullName, "next.pfx");
            await File.WriteAllBytesAsync(next, Certificate("CN=CityOps key ring 2", "next-pfx"));
            await using (var rotated = await CityOpsApp.StartAsync(db, new()
            {
                ["CityOps:DataProtection:CertificatePath"] = next,
                ["CityOps:DataProtection:CertificatePassword"] = "next-pfx",
                ["CityOps:DataProtection:PreviousCertificates:0"] = pfx + "|s3cret-pfx",
            }, connection: first.ConnectionString))
                Assert.Equal(HttpStatusCode.OK, (await Me(rotated, token)).StatusCode);

            // A wrong password or a missing file: the start fails and says which setting.
            foreach (var (path, password) in new[] { (pfx, "wrong"), (Path.Combine(folder.FullName, "missing.pfx"), "s3cret-pfx") })
            {
                var failed = await Assert.ThrowsAnyAsync<Exception>(() => CityOpsApp.StartAsync(db, new()
                {
                    ["CityOps:DataProtection:CertificatePath"] = path,
                    ["CityOps:DataProtection:CertificatePassword"] = password,
                }, connection: first.ConnectionString));
                Assert.Contains("CityOps:DataProtection:CertificatePath", Flatten(failed), StringComparison.Ordinal);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<HttpResponseMessage> Me(CityOpsApp app, string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync("/api/auth/me");
    }

    /// <summary>A self-signed RSA certificate with its private key, as a password-protected PKCS#12 file.</summary>
    private static byte[] Certificate(string subject, string password)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return certificate.Export(X509ContentType.Pkcs12, password);
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " → " + Flatten(e.InnerException);
}
