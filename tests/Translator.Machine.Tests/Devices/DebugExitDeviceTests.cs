using Translator.Machine.Devices;
using Xunit;

namespace Translator.Machine.Tests.Devices;

public class DebugExitDeviceTests
{
    [Theory]
    [InlineData(1, 0x12345678u, 0x78u)]
    [InlineData(2, 0x12345678u, 0x5678u)]
    [InlineData(4, 0x12345678u, 0x12345678u)]
    public void WriteRequestsExitWithTheValueAtTheAccessWidth(int size, uint written, uint expected)
    {
        var requests = new List<uint>();
        var device = new DebugExitDevice(requests.Add);

        device.Write(DebugExitDevice.DefaultPort, size, written);

        Assert.Equal([expected], requests);
    }

    [Fact]
    public void ReadsReturnZeroAndRequestNothing()
    {
        var requests = new List<uint>();
        var device = new DebugExitDevice(requests.Add);

        Assert.Equal(0u, device.Read(0xF4, 1));
        Assert.Equal(0u, device.Read(0xF5, 2));
        Assert.Equal(0u, device.Read(0xF4, 4));
        Assert.Empty(requests);
    }

    [Fact]
    public void RegisteredOnTheBusItClaimsFourPorts()
    {
        var requests = new List<uint>();
        var bus = new IoBus();
        bus.Register(DebugExitDevice.DefaultPort, DebugExitDevice.PortCount, new DebugExitDevice(requests.Add));

        bus.Write(0xF7, 1, 3);
        bus.Write(0xF8, 1, 4);

        Assert.Equal([3u], requests);
    }
}
