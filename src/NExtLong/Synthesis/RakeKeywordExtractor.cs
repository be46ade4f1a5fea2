namespace NExtLong.Synthesis;

/// <summary>
/// RAKE (Rose et al., 2010), the keyword extractor Quest applies to predicted queries; here it reads the document
/// itself, since no doc2query model is given. Candidate phrases are runs of non-stopwords between stopwords and
/// punctuation; a word scores degree/frequency, a phrase the sum of its words. Quest drops keywords scoring
/// below 3.0.
/// </summary>
internal static class RakeKeywordExtractor
{
    public const double QuestMinimumScore = 3.0;
    private const int MaxPhraseWords = 3;

    // The SMART-style core of the English stopword lists RAKE implementations ship with.
    private static readonly HashSet<string> Stopwords = new(StringComparer.Ordinal)
    {
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did",
        "do", "does", "doing", "down", "during", "each", "either", "else", "etc", "even", "ever", "every", "few", "for",
        "from", "further", "get", "gets", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
        "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may",
        "me", "might", "more", "most", "much", "must", "my", "myself", "no", "nor", "not", "now", "of", "off", "on",
        "once", "one", "only", "or", "other", "otherwise", "our", "ours", "ourselves", "out", "over", "own", "same",
        "shall", "she", "should", "since", "so", "some", "such", "than", "that", "the", "their", "theirs", "them",
        "themselves", "then", "there", "therefore", "these", "they", "this", "those", "though", "through", "thus", "to",
        "too", "under", "until", "up", "upon", "us", "use", "used", "using", "very", "via", "was", "we", "were", "what",
        "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within",
        "without", "would", "yet", "you", "your", "yours", "yourself", "yourselves", "s", "t", "new", "two", "many",
        "well", "way", "made", "make", "like", "let", "see", "say", "said", "unto", "thee", "thou", "thy",
    };

    /// <summary>Keywords of <paramref name="text"/> scoring at least <paramref name="minimumScore"/>, best first (ties by text).</summary>
    public static List<(string Phrase, double Score)> Extract(string text, double minimumScore = QuestMinimumScore, int max = 10)
    {
        var phrases = new List<string[]>();
        var current = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsLetterOrDigit(c))
            {
                int start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || (text[i] == '\'' && i + 1 < text.Length && char.IsLetter(text[i + 1])))) i++;
                string word = text[start..i].ToLowerInvariant();
                if (Stopwords.Contains(word) || word.Length < 2 || word.All(char.IsDigit)) Close();
                else current.Add(word);
                continue;
            }
            if (!char.IsWhiteSpace(c) || c == '\n') Close();
            i++;
        }
        Close();

        var frequency = new Dictionary<string, int>(StringComparer.Ordinal);
        var degree = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var phrase in phrases)
            foreach (var word in phrase)
            {
                frequency[word] = frequency.GetValueOrDefault(word) + 1;
                degree[word] = degree.GetValueOrDefault(word) + phrase.Length;
            }
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var phrase in phrases)
        {
            string key = string.Join(' ', phrase);
            if (!scores.ContainsKey(key)) scores[key] = phrase.Sum(w => (double)degree[w] / frequency[w]);
        }
        return scores.Where(p => p.Value >= minimumScore)
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Take(max).Select(p => (p.Key, p.Value)).ToList();

        void Close()
        {
            if (current.Count is > 0 and <= MaxPhraseWords) phrases.Add([.. current]);
            current.Clear();
        }
    }
}
