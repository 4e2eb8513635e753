import java.io.*;
import java.util.*;
import edu.cmu.meteor.scorer.*;

// A stdin/stdout driver around METEOR 1.5's public API (cmu-mtlab/meteor), for making @caption/metrics'
// METEOR fixtures. Not part of the package. Commands, one per line:
//   SCORE ||| ref1 ||| ... ||| candidate   -> the 23 statistics (as coco-caption's meteor-1.5.jar prints them)
//   EVAL ||| stats1 ||| stats2 ...         -> each segment's score, then the score of the summed statistics
//                                             (coco-caption's modified EVAL)
//   STEM w1 w2 ...                         -> the Snowball English stems the jar uses
//   NORM text                              -> Normalizer.normalizeLine(text, English, keep punctuation)
// Options after the two ignored file arguments are Meteor's (-l en -norm -a paraphrase.gz ...).
public class CocoMeteor {
  public static void main(String[] args) throws Exception {
    Properties props = Meteor.createPropertiesFromArgs(args, 2);
    MeteorConfiguration config = new MeteorConfiguration(props);
    MeteorScorer scorer = new MeteorScorer(config);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("SCORE")) {
        String[] part = line.split("\\|\\|\\|");
        ArrayList<String> refs = new ArrayList<String>();
        for (int i = 1; i < part.length - 1; i++) refs.add(part[i].trim());
        String test = part[part.length - 1].trim();
        MeteorStats stats = scorer.getMeteorStats(test, refs);
        out.println(stats.toString());
      } else if (line.startsWith("EVAL")) {
        String[] part = line.split("\\|\\|\\|");
        MeteorStats agg = new MeteorStats();
        for (int i = 1; i < part.length; i++) {
          MeteorStats s = new MeteorStats(part[i].trim());
          scorer.computeMetrics(s);
          out.println(s.score);
          agg.addStats(s);
        }
        scorer.computeMetrics(agg);
        out.println(agg.score);
      } else if (line.startsWith("STEM")) {
        // STEM w1 w2 ... : prints stems
        StringBuilder sb = new StringBuilder();
        org.tartarus.snowball.ext.englishStemmer st = new org.tartarus.snowball.ext.englishStemmer();
        StringTokenizer tok = new StringTokenizer(line.substring(4));
        while (tok.hasMoreTokens()) { st.setCurrent(tok.nextToken()); st.stem(); sb.append(st.getCurrent()).append(' '); }
        out.println(sb.toString().trim());
      } else if (line.startsWith("NORM")) {
        out.println(edu.cmu.meteor.util.Normalizer.normalizeLine(line.substring(5), 0, true));
      }
      out.flush();
    }
  }
}
