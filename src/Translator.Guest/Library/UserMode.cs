namespace Translator.Guest;

/// <summary>Ring 3 with the flat user segments of <see cref="Gdt"/>.</summary>
[GuestCode]
internal static class UserMode
{
    /// <summary>IRETs to <paramref name="entry"/> at ring 3 with interrupts enabled; never returns.</summary>
    public static void Enter(uint entry, uint stackTop) => Cpu.EnterUserMode(entry, stackTop, Gdt.UserCode, Gdt.UserData);
}
