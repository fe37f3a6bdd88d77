using System.Runtime.CompilerServices;
using Translator.Machine.Memory;
using Xunit;

namespace Translator.Machine.Tests.Memory;

/// <summary>RAM recycled between machines (the fuzzer's runner): the next machine gets the same array, and zeroed.</summary>
public sealed class RamPoolTests
{
    [Fact]
    public void ReturnedRamComesBackCleared()
    {
        var pool = new RamPool();
        RamPool.Current = pool;
        try
        {
            var first = new PhysicalMemory(2);
            first.Write32(0x1234, 0xDEAD_BEEF);
            first.Write8(first.Size - 1, 0x5A);
            pool.ReturnAll();

            var second = new PhysicalMemory(2);
            Assert.True(Unsafe.AreSame(ref first.Span(0, 1)[0], ref second.Span(0, 1)[0]), "the array was not reused");
            Assert.Equal(0u, second.Read32(0x1234));
            Assert.Equal(0, second.Read8(second.Size - 1));

            var third = new PhysicalMemory(2); // the second is still rented: a new array
            Assert.False(Unsafe.AreSame(ref second.Span(0, 1)[0], ref third.Span(0, 1)[0]));
        }
        finally
        {
            RamPool.Current = null;
        }

        var unpooled = new PhysicalMemory(2);
        Assert.Equal(0u, unpooled.Read32(0x1234));
    }
}
