namespace Permanence.Cli;

/// <summary>
/// Counts RFC 4180 records in a byte stream fed in chunks, keeping only a few flags: memory stays flat whatever
/// the file's size. A record ends at CRLF, LF or a lone CR outside quotes; a quoted field may hold commas, line
/// breaks and doubled quotes; the last record needs no line break. Works on the UTF-8 bytes directly: the quote,
/// comma, CR and LF bytes never occur inside a multi-byte UTF-8 sequence, so accented text needs no decoding.
/// </summary>
public sealed class CsvRecordCounter
{
    private State _state = State.FieldStart;
    private bool _atRecordStart = true;
    private bool _afterCr;

    private enum State
    {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }

    /// <summary>Records ended so far (not counting one still open at the end of the bytes seen).</summary>
    public long Records { get; private set; }

    public void Add(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (_afterCr)
            {
                _afterCr = false;
                if (b == (byte)'\n')
                {
                    i++; // the LF of a CRLF whose CR already ended the record
                    continue;
                }
            }
            switch (_state)
            {
                case State.Quoted:
                    // Only a quote can end a quoted field: skip to the next one at once.
                    var quote = bytes[i..].IndexOf((byte)'"');
                    _atRecordStart = false;
                    if (quote < 0)
                    {
                        return;
                    }
                    i += quote + 1;
                    _state = State.QuoteInQuoted;
                    continue;
                case State.QuoteInQuoted:
                    if (b == (byte)'"')
                    {
                        _state = State.Quoted; // a doubled quote: one quote inside the field
                        i++;
                        continue;
                    }
                    break;
                case State.FieldStart:
                    if (b == (byte)'"')
                    {
                        _state = State.Quoted;
                        _atRecordStart = false;
                        i++;
                        continue;
                    }
                    break;
                case State.Unquoted:
                    break;
            }
            // Outside quotes (a field's start, an unquoted field, or just after a closing quote).
            if (b is (byte)'\r' or (byte)'\n')
            {
                Records++;
                _state = State.FieldStart;
                _atRecordStart = true;
                _afterCr = b == (byte)'\r';
            }
            else
            {
                // Text after a closing quote is kept in the field (lenient, as most readers are); a quote inside
                // an unquoted field is a literal character.
                _state = b == (byte)',' ? State.FieldStart : State.Unquoted;
                _atRecordStart = false;
            }
            i++;
        }
    }

    /// <summary>Whether the bytes seen end inside a quoted field (a malformed or truncated file).</summary>
    public bool EndsInsideQuotes => _state == State.Quoted;

    /// <summary>Every record, the last one included when no line break ends it.</summary>
    public long TotalRecords => Records + (_atRecordStart ? 0 : 1);

    /// <summary>Records minus the header row (0 for an empty file).</summary>
    public long DataRows => Math.Max(0, TotalRecords - 1);
}
