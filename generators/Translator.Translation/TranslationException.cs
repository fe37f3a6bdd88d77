using System;

namespace Translator.Translation;

/// <summary>The image cannot be translated (it is not a multiboot v1 image this machine could boot); the message says why.</summary>
public class TranslationException : Exception
{
    public TranslationException(string message)
        : base(message)
    {
    }
}
