using Akka.Actor;
using Akka.Configuration;
using Fabric.Control.Attachments;
using Fabric.Control.Configuration;
using Fabric.Control.Devices;
using Fabric.Control.Profiles;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Serialization;

/// <summary>
/// Journal rows and snapshots written before profile groups and devices had traits (the bytes below were made by the
/// serializer of that version) still read, with the new fields at their defaults: an old fabric's journal recovers.
/// </summary>
public sealed class OldPayloadTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("old-payloads",
        ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(FabricConfig.HoconDirectory, "serialization.conf"))));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private T Read<T>(string base64)
    {
        var serializer = _system.Serialization.FindSerializerForType(typeof(T));
        return (T)serializer.FromBinary(Convert.FromBase64String(base64), typeof(T));
    }

    [Fact]
    public void Profile_events_without_traits_read_with_none()
    {
        var created = Read<ProfileCreated>(OldProfileCreated);
        Assert.Equal([new ProfileGroup("aes-256-gcm", 2), new ProfileGroup("sha256", 1)], created.Groups);
        Assert.Null(created.Groups[0].RequiredTraits);
        Assert.Null(created.Groups[0].AttachType);
        // ProfileView and ProfileState gained a project (Keystone): their old bytes no longer read. Profiles recover
        // from their events alone since then (ProfileActor.TakesSnapshots is false: old snapshots are never loaded),
        // and views only travel between nodes of one version.
        Assert.ThrowsAny<Exception>(() => Read<ProfileView>(OldProfileView));
    }

    [Fact]
    public void Attachment_events_without_traits_read_with_none()
    {
        Assert.Equal(new ProfileGroup("sha256", 1), Read<AttachmentCreated>(OldAttachmentCreated).Groups.Single());
        // AttachmentState gained a project: attachments recover from their events alone (AttachmentActor.TakesSnapshots).
        Assert.ThrowsAny<Exception>(() => Read<AttachmentState>(OldAttachmentState));
    }

    [Fact]
    public void Device_events_and_snapshots_without_traits_read_and_derive_their_traits()
    {
        var registered = Read<DeviceRegistered>(OldDeviceRegistered);
        Assert.Equal(["sha256"], registered.Functions);
        var state = Read<DeviceState>(OldDeviceState);
        Assert.Null(state.CustomTraits);
        Assert.Equal(["CUSTOM_FABRIC_ATTACH_FABRIC_CHANNEL", "CUSTOM_FABRIC_SHA256", "CUSTOM_FABRIC_TYPE_SW_CRYPTO"], state.ToView().Traits);
        var replayed = DeviceState.Empty("h/d").Apply(registered);
        Assert.Equal(state.ToView().Traits, replayed.ToView().Traits);
    }

    private const string OldProfileCreated =
        "/hMA+2QAAAA8PnpfX1JlYWRPbmx5QXJyYXlgMVtbRmFicmljLk1lc3NhZ2VzLlByb2ZpbGVzLlByb2ZpbGVHcm91cCwgRmFicmljLk1lc3NhZ2VzXV0sIEZhYnJpYy5Db250cm9sLlRlc3RzAQYAAABfaXRlbXP7OAAAAEZhYnJpYy5NZXNzYWdlcy5Qcm9maWxlcy5Qcm9maWxlR3JvdXBbXSwgRmFicmljLk1lc3NhZ2VzAAIAAAD+DwAHDGFlcy0yNTYtZ2NtCAIAAAD+DwAHB3NoYTI1NggBAAAABwVzZWFsBwNyMQ==";

    private const string OldProfileView =
        "/hUABgH7cAAAADw+el9fUmVhZE9ubHlTaW5nbGVFbGVtZW50TGlzdGAxW1tGYWJyaWMuTWVzc2FnZXMuUHJvZmlsZXMuUHJvZmlsZUdyb3VwLCBGYWJyaWMuTWVzc2FnZXNdXSwgRmFicmljLkNvbnRyb2wuVGVzdHMBBQAAAF9pdGVt/g8ABwdzaGEyNTYIAQAAAAcFc2VhbA==";

    private const string OldAttachmentCreated =
        "/iAABwNhMftwAAAAPD56X19SZWFkT25seVNpbmdsZUVsZW1lbnRMaXN0YDFbW0ZhYnJpYy5NZXNzYWdlcy5Qcm9maWxlcy5Qcm9maWxlR3JvdXAsIEZhYnJpYy5NZXNzYWdlc11dLCBGYWJyaWMuQ29udHJvbC5UZXN0cwEFAAAAX2l0ZW3+DwAHB3NoYTI1NggBAAAABwVzZWFsBwNyMgcFdm0tMQ==";

    private const string OldAttachmentState =
        "+zoAAABGYWJyaWMuQ29udHJvbC5BdHRhY2htZW50cy5BdHRhY2htZW50U3RhdGUsIEZhYnJpYy5Db250cm9sER0AAAA8QXR0YWNobWVudElkPmtfX0JhY2tpbmdGaWVsZBwAAAA8QmluZFJlcXVlc3Q+a19fQmFja2luZ0ZpZWxkIAAAADxEZXZpY2VGdW5jdGlvbnM+a19fQmFja2luZ0ZpZWxkGQAAADxEZXZpY2VJZD5rX19CYWNraW5nRmllbGQXAAAAPEV4aXN0cz5rX19CYWNraW5nRmllbGQfAAAAPEZhaWx1cmVNZXNzYWdlPmtfX0JhY2tpbmdGaWVsZB4AAAA8RmFpbHVyZVJlYXNvbj5rX19CYWNraW5nRmllbGQXAAAAPEdyb3Vwcz5rX19CYWNraW5nRmllbGQXAAAAPEhhbmRsZT5rX19CYWNraW5nRmllbGQVAAAAPEhvc3Q+a19fQmFja2luZ0ZpZWxkHgAAADxQZW5kaW5nRGV2aWNlPmtfX0JhY2tpbmdGaWVsZBgAAAA8UHJvZmlsZT5rX19CYWNraW5nRmllbGQfAAAAPFJlbGVhc2VQZW5kaW5nPmtfX0JhY2tpbmdGaWVsZBkAAAA8UmVxdWVzdHM+a19fQmFja2luZ0ZpZWxkFwAAADxTdGF0dXM+a19fQmFja2luZ0ZpZWxkGwAAADxUYXJnZXRIb3N0PmtfX0JhY2tpbmdGaWVsZBUAAAA8Vm1JZD5rX19CYWNraW5nRmllbGQHA2ExAPt7AAAAU3lzdGVtLkNvbGxlY3Rpb25zLkltbXV0YWJsZS5JbW11dGFibGVBcnJheWAxW1tTeXN0ZW0uU3RyaW5nLCBTeXN0ZW0uUHJpdmF0ZS5Db3JlTGliLCVjb3JlJV1dLCBTeXN0ZW0uQ29sbGVjdGlvbnMuSW1tdXRhYmxlAQUAAABhcnJheQAAAAAABgEAAPuFAAAAU3lzdGVtLkNvbGxlY3Rpb25zLkltbXV0YWJsZS5JbW11dGFibGVBcnJheWAxW1tGYWJyaWMuTWVzc2FnZXMuUHJvZmlsZXMuUHJvZmlsZUdyb3VwLCBGYWJyaWMuTWVzc2FnZXNdXSwgU3lzdGVtLkNvbGxlY3Rpb25zLkltbXV0YWJsZQEFAAAAYXJyYXkBAAAA/g8ABwhkZWZsYXRlCAEAAAAAAAAHAft6AAAAU3lzdGVtLkNvbGxlY3Rpb25zLkltbXV0YWJsZS5JbW11dGFibGVMaXN0YDFbW1N5c3RlbS5TdHJpbmcsIFN5c3RlbS5Qcml2YXRlLkNvcmVMaWIsJWNvcmUlXV0sIFN5c3RlbS5Db2xsZWN0aW9ucy5JbW11dGFibGUBBQAAAF9yb290AAAAAPsyAAAARmFicmljLkNvbnRyb2wuRW50aXRpZXMuUmVxdWVzdExvZywgRmFicmljLkNvbnRyb2wCFgAAADxPcmRlcj5rX19CYWNraW5nRmllbGQYAAAAPFJlcGxpZXM+a19fQmFja2luZ0ZpZWxk+3sAAABTeXN0ZW0uQ29sbGVjdGlvbnMuSW1tdXRhYmxlLkltbXV0YWJsZVF1ZXVlYDFbW1N5c3RlbS5TdHJpbmcsIFN5c3RlbS5Qcml2YXRlLkNvcmVMaWIsJWNvcmUlXV0sIFN5c3RlbS5Db2xsZWN0aW9ucy5JbW11dGFibGUDCgAAAF9iYWNrd2FyZHMSAAAAX2JhY2t3YXJkc1JldmVyc2VkCQAAAF9mb3J3YXJkcwAAAAD7rwAAAFN5c3RlbS5Db2xsZWN0aW9ucy5JbW11dGFibGUuSW1tdXRhYmxlRGljdGlvbmFyeWAyW1tTeXN0ZW0uU3RyaW5nLCBTeXN0ZW0uUHJpdmF0ZS5Db3JlTGliLCVjb3JlJV0sW1N5c3RlbS5PYmplY3QsIFN5c3RlbS5Qcml2YXRlLkNvcmVMaWIsJWNvcmUlXV0sIFN5c3RlbS5Db2xsZWN0aW9ucy5JbW11dGFibGUDCgAAAF9jb21wYXJlcnMGAAAAX2NvdW50BQAAAF9yb290AAAAAP4XAAgAAAAAAAcFdm0tMQ==";

    private const string OldDeviceRegistered =
        "/gcACAgAAAAHBGgvZPtmAAAAPD56X19SZWFkT25seVNpbmdsZUVsZW1lbnRMaXN0YDFbW1N5c3RlbS5TdHJpbmcsIFN5c3RlbS5Qcml2YXRlLkNvcmVMaWIsJWNvcmUlXV0sIEZhYnJpYy5Db250cm9sLlRlc3RzAQUAAABfaXRlbQcHc2hhMjU2BwJoBwNyMwcKc3ctY3J5cHRv";

    private const string OldDeviceState =
        "+zIAAABGYWJyaWMuQ29udHJvbC5EZXZpY2VzLkRldmljZVN0YXRlLCBGYWJyaWMuQ29udHJvbA0ZAAAAPENhcGFjaXR5PmtfX0JhY2tpbmdGaWVsZBkAAAA8RGV2aWNlSWQ+a19fQmFja2luZ0ZpZWxkHwAAADxEaXNhYmxlZFJlYXNvbj5rX19CYWNraW5nRmllbGQYAAAAPEVuYWJsZWQ+a19fQmFja2luZ0ZpZWxkGgAAADxGdW5jdGlvbnM+a19fQmFja2luZ0ZpZWxkFwAAADxIZWFsdGg+a19fQmFja2luZ0ZpZWxkHQAAADxIZWFsdGhSZWFzb24+a19fQmFja2luZ0ZpZWxkGAAAADxIb2xkZXJzPmtfX0JhY2tpbmdGaWVsZBUAAAA8Tm9kZT5rX19CYWNraW5nRmllbGQbAAAAPFJlZ2lzdGVyZWQ+a19fQmFja2luZ0ZpZWxkGQAAADxSZXF1ZXN0cz5rX19CYWNraW5nRmllbGQZAAAAPFJldmlzaW9uPmtfX0JhY2tpbmdGaWVsZBUAAAA8VHlwZT5rX19CYWNraW5nRmllbGQICAAAAAcEaC9kBwEGAft/AAAAU3lzdGVtLkNvbGxlY3Rpb25zLkltbXV0YWJsZS5JbW11dGFibGVTb3J0ZWRTZXRgMVtbU3lzdGVtLlN0cmluZywgU3lzdGVtLlByaXZhdGUuQ29yZUxpYiwlY29yZSVdXSwgU3lzdGVtLkNvbGxlY3Rpb25zLkltbXV0YWJsZQIJAAAAX2NvbXBhcmVyBQAAAF9yb290AQAAAAcHc2hhMjU2/gwACAAAAAAHAfuuAAAAU3lzdGVtLkNvbGxlY3Rpb25zLkltbXV0YWJsZS5JbW11dGFibGVEaWN0aW9uYXJ5YDJbW1N5c3RlbS5TdHJpbmcsIFN5c3RlbS5Qcml2YXRlLkNvcmVMaWIsJWNvcmUlXSxbU3lzdGVtLkludDMyLCBTeXN0ZW0uUHJpdmF0ZS5Db3JlTGliLCVjb3JlJV1dLCBTeXN0ZW0uQ29sbGVjdGlvbnMuSW1tdXRhYmxlAwoAAABfY29tcGFyZXJzBgAAAF9jb3VudAUAAABfcm9vdAAAAAAHAmgGAfsyAAAARmFicmljLkNvbnRyb2wuRW50aXRpZXMuUmVxdWVzdExvZywgRmFicmljLkNvbnRyb2wCFgAAADxPcmRlcj5rX19CYWNraW5nRmllbGQYAAAAPFJlcGxpZXM+a19fQmFja2luZ0ZpZWxk+3sAAABTeXN0ZW0uQ29sbGVjdGlvbnMuSW1tdXRhYmxlLkltbXV0YWJsZVF1ZXVlYDFbW1N5c3RlbS5TdHJpbmcsIFN5c3RlbS5Qcml2YXRlLkNvcmVMaWIsJWNvcmUlXV0sIFN5c3RlbS5Db2xsZWN0aW9ucy5JbW11dGFibGUDCgAAAF9iYWNrd2FyZHMSAAAAX2JhY2t3YXJkc1JldmVyc2VkCQAAAF9mb3J3YXJkcwAAAAD7rwAAAFN5c3RlbS5Db2xsZWN0aW9ucy5JbW11dGFibGUuSW1tdXRhYmxlRGljdGlvbmFyeWAyW1tTeXN0ZW0uU3RyaW5nLCBTeXN0ZW0uUHJpdmF0ZS5Db3JlTGliLCVjb3JlJV0sW1N5c3RlbS5PYmplY3QsIFN5c3RlbS5Qcml2YXRlLkNvcmVMaWIsJWNvcmUlXV0sIFN5c3RlbS5Db2xsZWN0aW9ucy5JbW11dGFibGUDCgAAAF9jb21wYXJlcnMGAAAAX2NvdW50BQAAAF9yb290AAAAAAIAAAAAAAAAAAcKc3ctY3J5cHRv";
}
