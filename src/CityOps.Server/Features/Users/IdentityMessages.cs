using CityOps.Server.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace CityOps.Server.Features.Users;

/// <summary>Identity's account errors in the caller's language, through the resources.</summary>
public sealed class IdentityMessages : IdentityErrorDescriber
{
    public override IdentityError DuplicateEmail(string email) => Error(nameof(DuplicateEmail), Messages.Format("Identity_DuplicateEmail", email));
    public override IdentityError DuplicateUserName(string userName) => Error(nameof(DuplicateUserName), Messages.Format("Identity_DuplicateEmail", userName));
    public override IdentityError InvalidEmail(string? email) => Error(nameof(InvalidEmail), Messages.Get("EmailInvalid"));
    public override IdentityError InvalidUserName(string? userName) => Error(nameof(InvalidUserName), Messages.Get("EmailInvalid"));
    public override IdentityError PasswordTooShort(int length) => Error(nameof(PasswordTooShort), Messages.Format("Identity_PasswordTooShort", length));
    public override IdentityError PasswordRequiresDigit() => Error(nameof(PasswordRequiresDigit), Messages.Get("Identity_PasswordRequiresDigit"));
    public override IdentityError PasswordRequiresLower() => Error(nameof(PasswordRequiresLower), Messages.Get("Identity_PasswordRequiresLower"));
    public override IdentityError PasswordRequiresUpper() => Error(nameof(PasswordRequiresUpper), Messages.Get("Identity_PasswordRequiresUpper"));
    public override IdentityError PasswordRequiresNonAlphanumeric() => Error(nameof(PasswordRequiresNonAlphanumeric), Messages.Get("Identity_PasswordRequiresNonAlphanumeric"));
    public override IdentityError PasswordRequiresUniqueChars(int uniqueChars) => Error(nameof(PasswordRequiresUniqueChars), Messages.Format("Identity_PasswordRequiresUniqueChars", uniqueChars));

    /// <summary>The request field an Identity error is about, so forms can show it next to that field.</summary>
    public static string FieldOf(IdentityError error) => error.Code switch
    {
        nameof(DuplicateEmail) or nameof(DuplicateUserName) or nameof(InvalidEmail) or nameof(InvalidUserName) => "email",
        _ when error.Code.StartsWith("Password", StringComparison.Ordinal) => "password",
        _ => error.Code,
    };

    private static IdentityError Error(string code, string description) => new() { Code = code, Description = description };
}
