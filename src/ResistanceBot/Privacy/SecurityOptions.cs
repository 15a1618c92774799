using Microsoft.Extensions.Options;

namespace ResistanceBot.Privacy;

internal sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>Base64 of 32 random bytes: encrypts tip contents, subscriber chat ids and reply routes.</summary>
    public string? DataKey { get; set; }

    /// <summary>Earlier data keys, kept so that rows sealed before a rotation still open.</summary>
    public List<string> PreviousDataKeys { get; set; } = [];

    /// <summary>Base64 of 32 random bytes: keys the HMAC pseudonyms by which readers are found.</summary>
    public string? PseudonymKey { get; set; }

    internal static byte[]? Decode(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var buffer = new byte[48];
        return Convert.TryFromBase64String(value.Trim(), buffer, out var n) && n == 32 ? buffer[..32] : null;
    }
}

internal sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    private const string Hint = "run `dotnet run --project src/ResistanceBot -- keys` and set the values it prints";

    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        var failures = new List<string>();
        Check(options.DataKey, "DataKey");
        Check(options.PseudonymKey, "PseudonymKey");
        for (var i = 0; i < options.PreviousDataKeys.Count; i++)
        {
            if (SecurityOptions.Decode(options.PreviousDataKeys[i]) is null)
            {
                failures.Add($"Security:PreviousDataKeys:{i} must be base64 of 32 bytes.");
            }
        }

        if (failures.Count == 0 && options.DataKey!.Trim() == options.PseudonymKey!.Trim())
        {
            failures.Add("Security:PseudonymKey must differ from Security:DataKey: " + Hint + ".");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(string? value, string key)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"Security:{key} is not set: {Hint} (environment variable Security__{key}).");
            }
            else if (SecurityOptions.Decode(value) is null)
            {
                failures.Add($"Security:{key} must be base64 of 32 random bytes: {Hint}.");
            }
        }
    }
}
