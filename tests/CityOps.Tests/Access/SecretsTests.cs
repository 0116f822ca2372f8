using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CityOps.Server.Data;
using CityOps.Server.Data.Seeding;
using CityOps.Server.Features.Intake;
using CityOps.Server.Features.Users;
using CityOps.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityOps.Tests.Access;

/// <summary>Channel keys and passwords are stored as hashes: read straight from the database, every column of the channel and account tables.</summary>
public sealed partial class SecretsTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task No_channel_key_and_no_password_is_stored_in_plain_text(string db)
    {
        var w = await AccessWorld.For(db);
        using var scope = w.App.Services.CreateScope();
        var context = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        var channels = await context.Channels.AsNoTracking().ToListAsync();
        var plain = channels.Select(c => ChannelSeed.DemoKey(c.Code)).Append(UserSeed.DemoPassword).Append(AccessWorld.ProbePassword).ToList();

        // Every cell of the channel table and of ASP.NET Core Identity's tables, as the database returns it.
        var tables = context.Model.GetEntityTypes()
            .Where(t => t.ClrType == typeof(Channel) || t.ClrType == typeof(AppUser) || t.ClrType.Namespace == typeof(IdentityRole).Namespace)
            .Select(t => t.GetTableName()!).Distinct().ToList();
        Assert.Contains("AspNetUsers", tables);
        var connection = context.Database.GetDbConnection();
        await connection.OpenAsync();
        var cells = 0;
        foreach (var table in tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i) switch { byte[] b => Encoding.UTF8.GetString(b), DBNull => "", var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "" };
                    cells++;
                    foreach (var secret in plain)
                        Assert.False(value.Contains(secret, StringComparison.Ordinal), $"{table}.{reader.GetName(i)} holds \"{secret}\" in plain text");
                }
        }
        Assert.True(cells > 1000, $"only {cells} cells read");

        // What is stored is a hash of the secret: SHA-256 of each key, Identity's salted PBKDF2 of each password.
        Assert.All(channels, c => Assert.Matches(Sha256Hex(), c.ApiKeyHash ?? ""));
        foreach (var code in new[] { "web", "hotline12345" })
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ChannelSeed.DemoKey(code)))), channels.Single(c => c.Code == code).ApiKeyHash);
        var hasher = new PasswordHasher<AppUser>();
        var users = await context.Users.AsNoTracking().Where(u => u.Email == "operator@" + UserSeed.DemoDomain || u.Email == w.ProbeEmail).ToListAsync();
        Assert.Equal(2, users.Count);
        foreach (var user in users)
        {
            var hash = Convert.FromBase64String(user.PasswordHash!);
            Assert.Equal(0x01, hash[0]); // Identity's version 3 format: PBKDF2 with a random salt
            Assert.True(hash.Length >= 61, $"{user.Email}: a {hash.Length}-byte hash");
            var password = user.Email == w.ProbeEmail ? AccessWorld.ProbePassword : UserSeed.DemoPassword;
            Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(user, user.PasswordHash!, password));
        }
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();
}
