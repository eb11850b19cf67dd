using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Permanence.Infrastructure.Exports;

/// <summary>
/// A write-only stream into a block blob: bytes are staged in blocks of <see cref="BlockSize"/> as they come
/// (memory stays one block whatever the file's size), hashed (SHA-256) and counted on the way, and nothing is
/// visible until <see cref="CommitAsync"/> commits the block list, conditionally: a file that died half-way
/// leaves no blob, only uncommitted blocks that storage discards.
/// </summary>
internal sealed class HashingBlockUpload(BlockBlobClient blob) : Stream
{
    public const int BlockSize = 4 * 1024 * 1024;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<string> _blocks = [];
    private readonly string _prefix = Guid.NewGuid().ToString("N");
    private byte[] _buffer = new byte[BlockSize];
    private int _filled;
    private long _length;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Write asynchronously.");

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, BlockSize - _filled);
            buffer[..take].CopyTo(_buffer.AsMemory(_filled));
            _hash.AppendData(buffer.Span[..take]);
            _filled += take;
            _length += take;
            buffer = buffer[take..];
            if (_filled == BlockSize)
            {
                await StageAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        // Blocks are staged when full and at the commit.
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task StageAsync(CancellationToken cancellationToken)
    {
        if (_filled == 0)
        {
            return;
        }
        // Block ids are base64 of equal length; a prefix of our own keeps a concurrent writer's blocks apart.
        var id = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{_prefix}-{_blocks.Count:D6}"));
        using var content = new MemoryStream(_buffer, 0, _filled, writable: false);
        await blob.StageBlockAsync(id, content, cancellationToken: cancellationToken);
        _blocks.Add(id);
        _filled = 0;
    }

    /// <summary>Commits with If-None-Match: *; the SHA-256 (lowercase hex) and byte count of what was written.</summary>
    public async Task<(string Sha256, long Bytes)> CommitAsync(string contentType, IDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        await StageAsync(cancellationToken);
        var sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
        metadata["sha256"] = sha256;
        metadata["bytes"] = _length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await blob.CommitBlockListAsync(_blocks, new CommitBlockListOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = metadata,
            Conditions = new BlobRequestConditions { IfNoneMatch = Azure.ETag.All },
        }, cancellationToken);
        return (sha256, _length);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            _buffer = [];
        }
        base.Dispose(disposing);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
