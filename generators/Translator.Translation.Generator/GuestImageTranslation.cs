using System;
using System.Collections.Generic;
using Translator.KernelCompiler.Model;
using Translator.Translation.Generator.Model;

namespace Translator.Translation.Generator;

/// <summary>One call of the translation core that never throws: a rejected image or a core fault becomes a diagnostic.</summary>
internal static class GuestImageTranslation
{
    public static TranslatedSource Run(string imagePath, byte[] image, TranslationOptions options)
    {
        TranslationResult result;
        try
        {
            result = BinaryTranslator.Translate(image, options);
        }
        catch (PrivilegedInstructionException e)
        {
            // A PV image built against the hypercall interface holds no privileged instruction: name the one it has.
            return TranslatedSource.Failed(new ImageDiagnostic(Diagnostics.PrivilegedInstruction.Id, imagePath, e.Message));
        }
        catch (TranslationException e)
        {
            return TranslatedSource.Failed(new ImageDiagnostic(Diagnostics.MalformedImage.Id, imagePath, e.Message));
        }
#pragma warning disable CA1031 // A generator never throws: any fault of the core is reported on the image.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return TranslatedSource.Failed(new ImageDiagnostic(Diagnostics.InternalError.Id, imagePath, e.GetType().Name + ": " + e.Message));
        }

        var diagnostics = new List<ImageDiagnostic>();
        foreach (string warning in result.Warnings)
        {
            diagnostics.Add(new ImageDiagnostic(Diagnostics.InterpreterFallback.Id, imagePath, warning));
        }

        string hint = (result.Namespace.Length > 0 ? result.Namespace + "." : "") + result.ClassName + ".Translation.g.cs";
        return new TranslatedSource(result.ImageSha256, hint, result.Source, new EquatableArray<ImageDiagnostic>(diagnostics.ToArray()));
    }
}
