namespace Translator.Machine.Loader;

/// <summary>A guest image that cannot be loaded. The message is one line, fit to show a user as is.</summary>
public sealed class InvalidImageException(string message) : Exception(message);
