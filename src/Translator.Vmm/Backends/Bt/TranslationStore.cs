using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Translator.Vmm.Backends.Bt;

/// <summary>A compiled translation as the on-disk cache keeps it.</summary>
/// <param name="Assembly">The IL assembly Roslyn compiled.</param>
/// <param name="NativeImage">
/// Its ReadyToRun image (the same assembly with native code), when it was precompiled; given to write an entry.
/// </param>
/// <param name="NativeImagePath">Where a read entry's verified ReadyToRun image is, when it has one.</param>
internal sealed record StoredTranslation(
    string TypeName,
    int Regions,
    int Instructions,
    IReadOnlyList<uint> EntryPoints,
    IReadOnlyList<string> Warnings,
    byte[] Assembly,
    byte[]? NativeImage = null,
    string? NativeImagePath = null);

/// <summary>
/// The persistent translation cache on disk. One directory per image (its SHA-256) holds the interpreter-fallback
/// addresses recorded at run time (<c>fallbacks.txt</c>, guest facts that outlive a translator version) and one
/// directory per translator version with the compiled assembly, its ReadyToRun image when it was precompiled, its C#
/// (for people) and a manifest. Every file is
/// written to a temporary name and renamed, and the manifest (written last) carries the assembly's hash, so a torn,
/// truncated or foreign entry reads as missing and is rebuilt; nothing here throws for a bad cache.
/// </summary>
internal sealed class TranslationStore(string root, string translatorVersion)
{
    private const string FormatLine = "format=1";
    private const string AssemblyFile = "translation.dll";
    private const string NativeImageSuffix = ".r2r.dll";
    private const string SourceFile = "translation.cs";
    private const string ManifestFile = "translation.manifest";
    private const string FallbacksFile = "fallbacks.txt";
    private const string DeferredFallbacksFile = "fallbacks-deferred.txt";
    private const string HotFile = "hot.txt";

    public string Root { get; } = root;

    public string TranslatorVersion { get; } = translatorVersion;

    /// <summary>Where the entry of an image for this translator version lives.</summary>
    public string EntryDirectory(string imageSha256) => Path.Combine(Root, imageSha256, TranslatorVersion);

    /// <summary>The stored translation of an image, or null when there is none or it is unreadable or inconsistent.</summary>
    public StoredTranslation? TryRead(string imageSha256) => TryReadAt(EntryDirectory(imageSha256), imageSha256);

    /// <summary>Where the groups of hot code tiered runs compiled for an image live (one directory each, an entry's files).</summary>
    private string GroupsDirectory(string imageSha256) => Path.Combine(EntryDirectory(imageSha256), "groups");

    /// <summary>Every readable group of hot code stored for an image (a damaged one reads as missing).</summary>
    public IReadOnlyList<StoredTranslation> ReadGroups(string imageSha256)
    {
        try
        {
            string groups = GroupsDirectory(imageSha256);
            return Directory.Exists(groups)
                ? Directory.GetDirectories(groups).Order(StringComparer.Ordinal).Select(d => TryReadAt(d, imageSha256)).OfType<StoredTranslation>().ToArray()
                : [];
        }
        catch (Exception e) when (IsFileSystemFailure(e))
        {
            return [];
        }
    }

    /// <summary>The stored group <paramref name="groupName"/> of an image, or null (missing or damaged).</summary>
    public StoredTranslation? TryReadGroup(string imageSha256, string groupName) =>
        TryReadAt(Path.Combine(GroupsDirectory(imageSha256), groupName), imageSha256);

    /// <summary>Stores a group of hot code as <see cref="TryWrite"/> stores a whole translation (no native image).</summary>
    public string? TryWriteGroup(string imageSha256, string groupName, StoredTranslation group, string source) =>
        TryWriteAt(Path.Combine(GroupsDirectory(imageSha256), groupName), imageSha256, group, source, out _);

    private StoredTranslation? TryReadAt(string directory, string imageSha256)
    {
        try
        {
            string manifestPath = Path.Combine(directory, ManifestFile);
            if (!File.Exists(manifestPath))
            {
                return null;
            }

            Dictionary<string, string> manifest = ParseManifest(File.ReadAllLines(manifestPath), out List<string> warnings);
            if (!manifest.TryGetValue("image", out string? image) || image != imageSha256
                || !manifest.TryGetValue("version", out string? version) || version != TranslatorVersion
                || !manifest.TryGetValue("type", out string? type) || type.Length == 0
                || !TryInt(manifest, "regions", out int regions) || !TryInt(manifest, "instructions", out int instructions)
                || !manifest.TryGetValue("entries", out string? entries) || !TryParseAddresses(entries.Split(',', StringSplitOptions.RemoveEmptyEntries), out List<uint> entryPoints)
                || !manifest.TryGetValue("assembly-sha256", out string? assemblyHash))
            {
                return null;
            }

            byte[] assembly = File.ReadAllBytes(Path.Combine(directory, AssemblyFile));
            if (Hex(SHA256.HashData(assembly)) != assemblyHash)
            {
                return null;
            }

            // The native image is loaded from its file, so it is checked here; its name holds its hash, so a file once
            // written never changes (the runtime keeps an image it loaded by path, and would not see a new one there).
            string? native = null;
            if (manifest.TryGetValue("native-sha256", out string? nativeHash) && nativeHash.Length == 64)
            {
                string nativePath = Path.Combine(directory, NativeImageName(nativeHash));
                native = File.Exists(nativePath) && Hex(SHA256.HashData(File.ReadAllBytes(nativePath))) == nativeHash ? nativePath : null;
            }

            return new StoredTranslation(type, regions, instructions, entryPoints, warnings, assembly, NativeImagePath: native);
        }
        catch (Exception e) when (IsFileSystemFailure(e))
        {
            return null;
        }
    }

    /// <summary>
    /// Stores a translation; returns null, or why it could not be stored (the run goes on without the cache).
    /// <paramref name="nativeImagePath"/> is where its native image now is (null without one, or on failure).
    /// </summary>
    public string? TryWrite(string imageSha256, StoredTranslation translation, string source, out string? nativeImagePath)
    {
        string? failure = TryWriteAt(EntryDirectory(imageSha256), imageSha256, translation, source, out nativeImagePath);
        if (failure is null)
        {
            PruneOtherVersions(imageSha256);
        }

        return failure;
    }

    private string? TryWriteAt(string directory, string imageSha256, StoredTranslation translation, string source, out string? nativeImagePath)
    {
        nativeImagePath = null;
        var manifest = new StringBuilder()
            .Append(FormatLine).Append('\n')
            .Append("image=").Append(imageSha256).Append('\n')
            .Append("version=").Append(TranslatorVersion).Append('\n')
            .Append("type=").Append(translation.TypeName).Append('\n')
            .Append("regions=").Append(translation.Regions.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("instructions=").Append(translation.Instructions.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("entries=").Append(string.Join(',', translation.EntryPoints.Select(FormatAddress))).Append('\n')
            .Append("assembly-sha256=").Append(Hex(SHA256.HashData(translation.Assembly))).Append('\n');
        string? nativeName = null;
        if (translation.NativeImage is { } nativeImage)
        {
            string nativeHash = Hex(SHA256.HashData(nativeImage));
            nativeName = NativeImageName(nativeHash);
            manifest.Append("native-sha256=").Append(nativeHash).Append('\n');
        }

        foreach (string warning in translation.Warnings)
        {
            manifest.Append("warning=").Append(warning.ReplaceLineEndings(" ")).Append('\n');
        }

        try
        {
            Directory.CreateDirectory(directory);
            WriteAtomically(Path.Combine(directory, AssemblyFile), translation.Assembly);
            if (nativeName is not null)
            {
                WriteAtomically(Path.Combine(directory, nativeName), translation.NativeImage!);
            }

            WriteAtomically(Path.Combine(directory, SourceFile), Encoding.UTF8.GetBytes(source));
            WriteAtomically(Path.Combine(directory, ManifestFile), Encoding.UTF8.GetBytes(manifest.ToString()));
            DeleteOtherNativeImages(directory, nativeName);
            nativeImagePath = nativeName is null ? null : Path.Combine(directory, nativeName);
            return null;
        }
        catch (Exception e) when (IsFileSystemFailure(e))
        {
            return $"cannot write the translation cache entry {directory}: {e.Message}";
        }
    }

    /// <summary>The file name of the native image whose SHA-256 is <paramref name="hash"/>.</summary>
    private static string NativeImageName(string hash) => "translation." + hash[..16] + NativeImageSuffix;

    /// <summary>
    /// Native images an earlier write of this entry left (its translation had other entry points). A process that
    /// still runs one keeps its mapping; deleting only frees the name.
    /// </summary>
    private static void DeleteOtherNativeImages(string directory, string? kept)
    {
        try
        {
            foreach (string file in Directory.GetFiles(directory, "*" + NativeImageSuffix))
            {
                if (Path.GetFileName(file) != kept)
                {
                    File.Delete(file);
                }
            }
        }
        catch (Exception e) when (IsFileSystemFailure(e))
        {
            // Housekeeping: a stale image is never loaded, the manifest names the current one.
        }
    }

    /// <summary>Entries kept per image: this translator version's and the most recently written others.</summary>
    public const int VersionsKept = 3;

    /// <summary>
    /// Every build of the translator is a new version, so entries of old versions would pile up: after a write, all
    /// but the <see cref="VersionsKept"/> most recently written entries of the image go. Another process still
    /// reading one of them finds it missing or incomplete, which reads as a miss; a failure to delete is ignored.
    /// </summary>
    private void PruneOtherVersions(string imageSha256)
    {
        try
        {
            var others = new DirectoryInfo(Path.Combine(Root, imageSha256)).GetDirectories()
                .Where(d => d.Name != TranslatorVersion)
                .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d.FullName, ManifestFile)))
                .Skip(VersionsKept - 1);
            foreach (DirectoryInfo stale in others)
            {
                stale.Delete(recursive: true);
            }
        }
        catch (Exception e) when (IsFileSystemFailure(e))
        {
            // Pruning is housekeeping: the entry just written is what matters.
        }
    }

    /// <summary>The code addresses earlier runs of the image reached only through the interpreter.</summary>
    public IReadOnlySet<uint> ReadFallbacks(string imageSha256, bool deferred = false) =>
        ReadAddresses(imageSha256, deferred ? DeferredFallbacksFile : FallbacksFile);

    /// <summary>
    /// Adds fallback addresses to the image's record (the one that makes the next run translate again, or, when
    /// <paramref name="deferred"/>, the one only the next translation made for another reason includes); returns
    /// null, or why they could not be recorded.
    /// </summary>
    public string? TryAddFallbacks(string imageSha256, IEnumerable<uint> addresses, bool deferred = false) =>
        TryAddAddresses(imageSha256, deferred ? DeferredFallbacksFile : FallbacksFile, addresses, "interpreter fallbacks");

    /// <summary>
    /// The addresses tiered runs found hot in an image (<c>hot.txt</c>): guest facts like the fallbacks, from which
    /// a run whose groups are compiled directly to IL compiles its first group at its start.
    /// </summary>
    public IReadOnlySet<uint> ReadHot(string imageSha256) => ReadAddresses(imageSha256, HotFile);

    /// <summary>Adds hot addresses to the image's record; returns null, or why they could not be recorded.</summary>
    public string? TryAddHot(string imageSha256, IEnumerable<uint> addresses) => TryAddAddresses(imageSha256, HotFile, addresses, "hot addresses");

    private IReadOnlySet<uint> ReadAddresses(string imageSha256, string file)
    {
        try
        {
            string path = Path.Combine(Root, imageSha256, file);
            if (File.Exists(path) && TryParseAddresses(File.ReadAllLines(path).Where(l => l.Length > 0), out List<uint> addresses))
            {
                return addresses.ToHashSet();
            }
        }
        catch (Exception e) when (IsFileSystemFailure(e))
        {
            // An unreadable record only costs the next run those addresses.
        }

        return new HashSet<uint>();
    }

    private string? TryAddAddresses(string imageSha256, string file, IEnumerable<uint> addresses, string what)
    {
        var all = new SortedSet<uint>(ReadAddresses(imageSha256, file));
        int before = all.Count;
        all.UnionWith(addresses);
        if (all.Count == before)
        {
            return null;
        }

        string directory = Path.Combine(Root, imageSha256);
        try
        {
            Directory.CreateDirectory(directory);
            string text = string.Concat(all.Select(a => FormatAddress(a) + "\n"));
            WriteAtomically(Path.Combine(directory, file), Encoding.ASCII.GetBytes(text));
            return null;
        }
        catch (Exception e) when (IsFileSystemFailure(e))
        {
            return $"cannot record {what} in {directory}: {e.Message}";
        }
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static string FormatAddress(uint address) => address.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>Readers never see a half-written file: the bytes go to a unique temporary name that is then renamed.</summary>
    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static Dictionary<string, string> ParseManifest(string[] lines, out List<string> warnings)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        warnings = [];
        if (lines.Length == 0 || lines[0] != FormatLine)
        {
            return values;
        }

        foreach (string line in lines.Skip(1))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            string key = line[..equals], value = line[(equals + 1)..];
            if (key == "warning")
            {
                warnings.Add(value);
            }
            else
            {
                values[key] = value;
            }
        }

        return values;
    }

    private static bool TryInt(Dictionary<string, string> manifest, string key, out int value)
    {
        value = 0;
        return manifest.TryGetValue(key, out string? text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseAddresses(IEnumerable<string> texts, out List<uint> addresses)
    {
        addresses = [];
        foreach (string text in texts)
        {
            if (!uint.TryParse(text.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint address))
            {
                return false;
            }

            addresses.Add(address);
        }

        return true;
    }

    private static bool IsFileSystemFailure(Exception e)
        => e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or System.Security.SecurityException;
}
