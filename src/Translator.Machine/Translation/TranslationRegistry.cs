using System.Collections.Concurrent;

namespace Translator.Machine.Translation;

/// <summary>
/// Translations compiled into loaded assemblies (the build-time host registers each one from a module
/// initializer), found by the SHA-256 of the image they translate.
/// </summary>
public static class TranslationRegistry
{
    private static readonly ConcurrentDictionary<string, TranslatedImage> s_images = new(StringComparer.Ordinal);

    public static void Register(TranslatedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        s_images[image.ImageSha256] = image;
    }

    public static TranslatedImage? Find(string imageSha256) => s_images.GetValueOrDefault(imageSha256);
}
