// fromGemini / GeminiDecoderStream: Gemini `streamGenerateContent?alt=sse` streams (Gemini API and Vertex AI) as protocol events.
import recordings from "virtual:recordings";
import { describe, expect, it } from "vitest";
import { fromGemini, fromResponse, GeminiDecoderStream, HTTPError } from "../src/index.ts";
import { bodyOf, bytesOf, chunkedBody, responseOf, type Bytes } from "./bytes.ts";
import { failure, readAll, settle, type Message } from "./helpers.ts";
import { itRefusesHostileInput } from "./hostile.ts";
import { itGivesTheRecordingsOutcomes, type Outcome } from "./rechunk.ts";

/** One SSE message per response object, framed as Gemini frames them. */
function sse(...responses: readonly object[]): string {
  return responses.map((r) => `data: ${JSON.stringify(r)}\r\n\r\n`).join("");
}

/** A response whose candidate 0 has these parts. */
function parts(list: readonly object[], extra: object = {}): object {
  return { candidates: [{ content: { parts: list, role: "model" }, index: 0 }], modelVersion: "gemini-x", responseId: "r1", ...extra };
}

const stop = { candidates: [{ content: { parts: [{ text: "" }], role: "model" }, finishReason: "STOP", index: 0 }], responseId: "r1" };

const meta = (model: string | undefined, reason: string | undefined, extra: object = {}) => ({
  model_provider: "google_genai",
  ...(model !== undefined ? { model_name: model } : {}),
  ...(reason !== undefined ? { finish_reason: reason } : {}),
  ...extra,
  output_version: "v1",
});

const usage = (input: number, output: number, total: number, reasoning?: number) => ({
  input_tokens: input,
  output_tokens: output,
  total_tokens: total,
  ...(reasoning !== undefined ? { output_token_details: { reasoning } } : {}),
});

/** A finished message: the fields every expected outcome repeats (the blocks are plain data, checked by toEqual). */
function message(id: string, content: unknown, rest: { response_metadata: object; usage_metadata?: object; tool_calls?: object[] }): Outcome {
  return { output: { type: "ai", id, content, tool_calls: [], invalid_tool_calls: [], ...rest } as unknown as Message };
}

const call = (id: string, name: string, args: object) => ({ type: "tool_call", id, name, args });

const ratings = (high: string) =>
  ["HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_DANGEROUS_CONTENT"].map((category) => ({
    category,
    probability: category === high ? "HIGH" : "NEGLIGIBLE",
  }));

const code = "prime_numbers = [2, 3, 5, 7, 11]\nsum_of_primes = sum(prime_numbers)\nprint(f'The sum of the first 5 prime numbers is: {sum_of_primes}')\n";

// Texts and signatures as the recordings carry them, joined across messages by a script independent of the adapter.
const expected: Record<string, Outcome> = {
  "code-execution.sse": message(
    "RUy4aObyJcTujrEPqtKYKQ",
    [
      { type: "text", text: "To find the sum of the first 5 prime numbers, we first need to identify them. The first five prime numbers are 2, 3, 5, 7, and 11.\n\nNow, let's calculate their sum using a Python tool:\n\n", index: 0 },
      { type: "server_tool_call", id: "RUy4aObyJcTujrEPqtKYKQ_call_0", name: "code_interpreter", args: { code, language: "PYTHON" }, index: 1 },
      {
        type: "server_tool_result",
        tool_call_id: "RUy4aObyJcTujrEPqtKYKQ_call_0",
        status: "success",
        output: "The sum of the first 5 prime numbers is: 28\n",
        extras: { outcome: "OUTCOME_OK" },
        index: 2,
      },
      { type: "text", text: "The sum of the first 5 prime numbers is 28.", index: 3 },
    ],
    // 21 prompt + 243 tool-use prompt in; 126 candidates + 95 thoughts out.
    { usage_metadata: usage(264, 221, 485, 95), response_metadata: meta("gemini-2.5-flash", "STOP") },
  ),
  // Gemini 3: the code part carries its id and a signature; an empty text part beside it opens nothing; the last,
  // empty, text part signs the answer. Usage goes down in the second message (46 in, 0 out) and the last one wins.
  "code-execution-gemini3.sse": message(
    "n1P6abvRFaKdz7IPkcuQ2Aw",
    [
      {
        type: "server_tool_call",
        id: "8xju7mua",
        name: "code_interpreter",
        args: { code: "result = 65465 - 6544 * 65464 - 6 + 1.02255\nprint(result)", language: "PYTHON" },
        extras: { signature: "EqADCp0DAQw51sctaTt62vj/AeY+J46HScGMG01KQ/CGKYK7GOxHGnyfjXjoAZeN4TQtwFlgaGEX1UK9b2Su4XvP6mTn9uSCuRWHOnbpAMjQhAlFsxXZtFO3MxaL49mOKTXbzQb88uvYzw4oPhThMU4GzcMEiBLAhA1NPrP15HXbb1tmhIcgBS5U+KMJ2tr0OXgzWLqHijeLfeSknamOl4MmF3aN3lb3v1QDnIlNR+VfyCMdCdobWeViy/9fjOhF6IxjA5Hx4YtFOiBGKHH9fXg9rALmrfIlSRIyJqAJfgl7fpLiNrxYcmjg65kJHGo4Ft+JmbA8ulK+4FsfnYBpEocvyci7AZPzxKxRLqiomQiyyDP4fYgswwVSEUVbDZ73vd6+WkdIQUJ2pP9Kr3or5EH+QdYlElIRyaYMqUlDy8GLTFDOVVS2aisdALKHoVzmSb1V0krqf/I09wmULUmtQmvJlTeLbNfscjR1TMX3RVxmzCuomCF9kD5IcvXw6hFZEqqwfna9ZpXfgzNDIx0viMs/auRFP/R957XucgG5JA9FsHI=" },
        index: 0,
      },
      { type: "server_tool_result", tool_call_id: "8xju7mua", status: "success", output: "-428330955.97745\n", extras: { outcome: "OUTCOME_OK" }, index: 1 },
      { type: "text", text: "The result of $65465 - 6544 \\times 65464 - 6 + 1.02255$ is **-428,330,955.97745**.", extras: { signature: "EoECCv4BAQw51segR8LGndTf8Iwu2QYvjZg3wHjXGTJ8+VvJoEShPtn7lNbFgBCet+vE6a6ZbZETGgJ/JgMvZDEW0HXQCmxO1XFTRHroM4UfNRA20wJKySXfhCA8sLsNJvo2y6p/6MSFQRVfwsioSuD5PaDkfOjD4uUeAn5uK1EqSM0AKNqub9VI+x6ZbmUUJCxzasqUv0YftrL71uv0Yk3kwD4UNf486pB9ZdcdeiZOzNCiNlxNX14GP9M0YHP0UnC7G5URBF36Q2w3leU/gYr6CyZaE47NGlocGW/878cdfJqsLvfHaVBe6EkAx+mebTkkO/eT85V96VQ8b/zmGQyWIDQ=" }, index: 2 },
    ],
    // 147 prompt + 360 tool-use prompt in; 108 candidates + 168 thoughts out.
    { usage_metadata: usage(507, 276, 783, 168), response_metadata: meta("gemini-3-flash-preview", "STOP") },
  ),
  // Gemini 3 sends the call's own id.
  "function-call-id.sse": message(
    "g1P6aZnMMZq5qtsPj9fyuQ8",
    [{ ...call("96c1su3s", "get_user_country", {}), extras: { signature: "EpIDCo8DAQw51scL+dHffCC+bznOIyXjDPleN5yQL1zqs+4M/VtZCHcJrN8gh786ZjK9OZKuD6RdZHgfpv79cXyMPcENDzPM2VrQF0ZLkLBwpq98X6zkYNVkwocL/mdRCLNt7H+Stxu1kojfyFhLSEYUx2w5Ep0gOuF2lOdXs9nG0j5qO0osghTXqDz2AUUbinuJ4bX/34maQqECBO4g58rN+8/bKW1CW2CWWtJfSsfVNLutBS/NpJ/REk3cm3RT3viJU9YdruAMAC9K95vW5gGPkFbZ4weFTplNS9FBUjue7usTmrYTH0P+59L3xdXkn0X0QMHt1ACkOOl84cIscvYukdz9AC+a56q2kZPNEHxfHudLT5kbuYzL9ujEmJ79YWOG2cFfS2yjBXinkM6mjxraEXzt4sc1kOI2c37TGqlsFZH9UIRoNUm60rl5ligkxyDyGgrFXoVdEAPuM42SUr6KkhdOnR4Kjxf9vsqMaXUX2Br5ZyyRT1/PZBCnPSxe1bq7eTqAtvGUQJoG9L0tnpbDR9Eg" } }],
    {
      tool_calls: [call("96c1su3s", "get_user_country", {})],
      usage_metadata: usage(29, 81, 110, 69),
      response_metadata: meta("gemini-3-flash-preview", "STOP"),
    },
  ),
  "text-final-signature.sse": message(
    "hVP6afiZEuitz7IPypuAsQY",
    [{ type: "text", text: "{\n  \"city\": \"Mexico City\",\n  \"country\": \"Mexico\"\n} ", extras: { signature: "Es4BCssBAQw51sdVawpvkeotE8CSmU13qH8NFDcKY+siBnDFeW/Lp2jPEOJ7b3RqqwAk3/8vPSDDEScuvKw+bnGnCVh5/0uLsWPrh3CF9PvsILIzn9LLGojOM51WRAM3GS7YEwoWzxN8gXPUaApOX1P7ea8GYNEYdZPDpPdsROY6kWIuuSepO4ZBv0ZlfS94uqsYkorU5iQ7nXJcISV1rLnbBCQy2pDyAWD3I1P59Ri1rSKq5cwzOKmMnrexYdA8wu1wWjcwTttXk5KqL240/9w=" }, index: 0 }],
    { usage_metadata: usage(128, 51, 179, 30), response_metadata: meta("gemini-3-flash-preview", "STOP") },
  ),
  "finish-safety.sse": message("gemini-d1f4a89e", [{ type: "text", text: "<redacted>", index: 0 }], {
    usage_metadata: usage(10, 66, 76),
    response_metadata: meta("gemini-1.5-flash", "SAFETY", {
      safety_ratings: [
        { category: "HARM_CATEGORY_HATE_SPEECH", probability: "NEGLIGIBLE", probabilityScore: 0.40429688, severity: "HARM_SEVERITY_NEGLIGIBLE", severityScore: 0.18554688 },
        { category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "NEGLIGIBLE", probabilityScore: 0.15820313, severity: "HARM_SEVERITY_NEGLIGIBLE", severityScore: 0.030639648 },
        { category: "HARM_CATEGORY_HARASSMENT", probability: "LOW", blocked: true, probabilityScore: 0.55078125, severity: "HARM_SEVERITY_LOW", severityScore: 0.24804688 },
        { category: "HARM_CATEGORY_SEXUALLY_EXPLICIT", probability: "NEGLIGIBLE", probabilityScore: 0.17675781, severity: "HARM_SEVERITY_NEGLIGIBLE", severityScore: 0.17871094 },
      ],
    }),
  }),
  "function-call-signature.sse": message(
    "QUVVadTSNJ6_qtsPvN7J8Q0",
    [{ ...call("QUVVadTSNJ6_qtsPvN7J8Q0_call_0", "get_country", {}), extras: { signature: "EpwICpkIAXLI2nxlU6gsWZaZHRYkX1orzuM8vSUFwaAt1JRxEC2hJzPAcAu3PWaKz7X+PIyTTqF+ZIQPF+fQzkaRCbrxB0Qrem/xwR4S46oFxYiOF7EVa6pCBb9iu2uvCKrv5b7ezGzYqLD9glcNsLL3rA5OIsft4ec4qTT8NGd2SDdHB6WKrJ/K3rQHxoDQnB9JpnVTbtsaJoMWdFpnJcd7P7yxfdfgzO0aS6rGp+ch2yiKxsdQGan4QCdA0vCjfDcCBaxAuAVVaVSc6C7fioR1po2xPtQR/GJHzJuHKahKxN/X31DwhImJgP0WbFFCzZ8oLULvhSq3WDjEKmuSx5orPFDSud6Nr8ZN8UOn6GBkqQq3IKLdsdennT9L4HrABm3S7fpMyiuWPFhGFHPu3NAuny1UCgttcYp70Wk1tA+JefyvIHDlbrIJw+8NdDlsa0lBGEKmciCOT/b6+oZzsEQoMLzkp0R/3C/GVAIo2Jn7rYjfS9e9Kl+O2b3M0pcKW62qyjCa5oQJ/AmelBLKArd1UGJxs0YVWkoEfQnycE5lePgpATDMsYmGcHPSeiLxLq55tUPJ+xr1sHqSf87qm3Um2aNabuE+ti16GPeeWHWdQnDpEkr6sQma3BzaOeDq9n94Nrxxg/Fu2ZTFK+O2khOa3v48dDh+OVeaFKUFTL9A4ZIooRD94sEztEOvIlNexbNRWcc3MBf/bMUaJnx53Qj1p0N2FlJGBZlDmCRbiBXDM8umKyuiYA39woGI9j8gt5+M6UNfj2ot/hM8cCW86HrQEGt67+S02j4ncxHbQeBD8jSJCaN0Ah1HHQhHjV341ujEpBPF+F6JB2XtUyOHyr3hsQcuKDa27BFj2g1ojWKB/rffUc2eB0qlGBawwJQ09UnhHxjDW3qyXL/yHCXZLp8JPNBdRANLJ657TInHRksnmp7l5RxQJ0dd47pgi5VjN/08dQNsD/toXTnbcYuDcy0duEz53g4KF1cZyNuEg9kWYP1oMfOj8FrkGsyQh3+h8LQyIEvwqOrlmMjxSzJZXDbFGddHvIn5KasPKaR+T5AfxT1J3ex+pjIHoeBeAf/a8bmq3Z+gDalxa/kBIqT0KbYnAbtVk8Wq4vDZhDwYvkawPvSgFuFEhrhE8xZ3QJj7nofhWQJ+4DDVjujYlIrjBihUFvkPC2GUlrjQVNqJwhwTmZ7esjrMjx+QHtmtDNps5TZdhb1wXJ2LU2OJOYoILGhEZw0g1oeWgErSE0QUCO2EwBraenzWHlc8P2A7OGcRpE7KHdDYTuIJ9IbyeVMgeYowYXnxy7ElQ1CWkLSDHsbsptHrG9NTaRWdiAFwInb7nd1KrJVPvsNlnUfExbs8gd0IoxjaTjY1V7mjb2D/7NoL5owonoBDAXOk15QuFyU=" } }],
    {
      tool_calls: [call("QUVVadTSNJ6_qtsPvN7J8Q0_call_0", "get_country", {})],
      usage_metadata: usage(29, 212, 241, 202),
      response_metadata: meta("gemini-3-pro-preview", "STOP"),
    },
  ),
  "function-call.sse": message("1lpeaMTxIpW1nvgP-O3vwQY", [call("1lpeaMTxIpW1nvgP-O3vwQY_call_0", "get_capital", { country: "France" })], {
    tool_calls: [call("1lpeaMTxIpW1nvgP-O3vwQY_call_0", "get_capital", { country: "France" })],
    usage_metadata: usage(52, 5, 57),
    response_metadata: meta("gemini-2.0-flash", "STOP"),
  }),
  // An image model: text, a message whose content has no parts, then the picture (1290 of the 1307 output tokens).
  "image-generation.sse": message(
    "kLewaKa5ONqI-8YP-c_NuAQ",
    [
      { type: "text", text: "Here's a cute cartoon kitten playing with a ball of yarn for you! ", index: 0 },
      {
        type: "image",
        data: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVQImWNwav0CAALIAbzDqqRyAAAAAElFTkSuQmCC",
        mime_type: "image/png",
        index: 1,
      },
    ],
    { usage_metadata: usage(16, 1307, 1323), response_metadata: meta("gemini-2.5-flash-image-preview", "STOP") },
  ),
  // groundingMetadata is {} until the last message, which holds it whole.
  "url-context.sse": message("IJLJaPGIL7uN1MkPvI6K0QQ", [{ type: "text", text: "\nThe Google homepage primarily serves as a search engine interface, featuring a prominent search bar and the Google logo. It also displays trending searches, options to sign in, access Google apps, and adjust settings such as dark theme and search preferences. The page includes links for feedback, privacy, terms, advertising, business, and an \"About\" section.", index: 0 }], {
    // 438 prompt + 619 tool-use prompt in; 81 candidates + 39 thoughts out.
    usage_metadata: usage(1057, 120, 1177, 39),
    response_metadata: meta("gemini-2.5-flash", "STOP", {
      url_context_metadata: { urlMetadata: [{ retrievedUrl: "https://google.com", urlRetrievalStatus: "URL_RETRIEVAL_STATUS_SUCCESS" }] },
      grounding_metadata: {
        groundingChunks: [{ web: { uri: "https://google.com", title: "Google" } }],
        groundingSupports: [
          {
            segment: {
              startIndex: 1,
              endIndex: 120,
              text: "The Google homepage primarily serves as a search engine interface, featuring a prominent search bar and the Google logo",
            },
            groundingChunkIndices: [0],
          },
          {
            segment: {
              startIndex: 122,
              endIndex: 259,
              text: "It also displays trending searches, options to sign in, access Google apps, and adjust settings such as dark theme and search preferences",
            },
            groundingChunkIndices: [0],
          },
          {
            segment: { startIndex: 261, endIndex: 360, text: 'The page includes links for feedback, privacy, terms, advertising, business, and an "About" section' },
            groundingChunkIndices: [0],
          },
        ],
      },
    }),
  }),
  // Each message cites its own stretch of the text: the citations add up.
  "vertex-citations.sse": message("gemini-d931891a", [{ type: "text", text: "1. **Definition:**\nQuantum mechanics is a fundamental theory in physics that provides the foundation for understanding the physical properties of nature at the scale of atoms and subatomic particles. It is based on the idea that energy, momentum, angular momentum, and other quantities are quantized, meaning they can exist only in discrete values. \n\n2. **Key Concepts:**\n   - **Wave-particle Duality:** Particles such as electrons and photons can exhibit both wave-like and particle-like behaviors. \n   - **Uncertainty Principle:** Proposed by Werner Heisenberg, it states that the more precisely the position of a particle is known, the less precisely its momentum can be known, and vice versa. \n   - **Superposition:** A quantum system can exist in multiple states simultaneously until it is observed or measured, at which point it \"collapses\" into a single state.\n   - **Quantum Entanglement:** Two or more particles can become correlated in such a way that the state of one particle cannot be described independently of the other, even when they are separated by large distances. \n\n3. **Applications:**\n   - **Quantum Computing:** It explores the use of quantum-mechanical phenomena to perform complex calculations and solve problems that are intractable for classical computers. \n   - **Quantum Cryptography:** Utilizes the principles of quantum mechanics to develop secure communication channels. \n   - **Quantum Imaging:** Employs quantum effects to enhance the resolution and sensitivity of imaging techniques in fields such as microscopy and medical imaging. \n   - **Quantum Sensors:** Leverages quantum properties to develop highly sensitive sensors for detecting magnetic fields, accelerations, and other physical quantities. \n\n4. **Learning Resources:**\n   - **Books:**\n     - \"Quantum Mechanics for Mathematicians\" by James Glimm and Arthur Jaffe\n     - \"Principles of Quantum Mechanics\" by R. Shankar\n     - \"Quantum Mechanics: Concepts and Applications\" by Nouredine Zettili\n   - **Online Courses:**\n     - \"Quantum Mechanics I\" by MIT OpenCourseWare\n     - \"Quantum Mechanics for Everyone\" by Coursera\n     - \"Quantum Mechanics\" by Stanford Online\n   - **Documentaries and Videos:**\n     - \"Quantum Mechanics: The Strangest Theory\" (BBC Documentary)\n     - \"Quantum Mechanics Explained Simply\" by Veritasium (YouTube Channel)\n     - \"What is Quantum Mechanics?\" by MinutePhysics (YouTube Channel)", index: 0 }], {
    response_metadata: meta(undefined, "STOP", {
      citation_metadata: {
        citations: [
          { endIndex: 128, uri: "https://www.example.com/some-citation-1" },
          { startIndex: 130, endIndex: 265, title: "some-citation-2", publicationDate: { year: 2014, month: 3, day: 30 } },
          { startIndex: 272, endIndex: 431, uri: "https://www.example.com/some-citation-3", license: "mit" },
          { startIndex: 574, endIndex: 705, uri: "https://www.example.com/some-citation-4", title: "some-citation-4", license: "" },
          { startIndex: 899, endIndex: 1026, uri: "", title: "some-citation-5", license: "mit" },
          { startIndex: 899, endIndex: 1026, uri: "https://www.example.com/some-citation-6", title: "", license: "mit" },
        ],
      },
    }),
  }),
  "no-response-id.sse": message("gemini-f777fb16", [{ type: "text", text: "The capital of Wyoming is **Cheyenne**.\n", index: 0 }], {
    usage_metadata: usage(7, 10, 17),
    response_metadata: meta("gemini-2.0-flash", "STOP"),
  }),
  // A refusal, not a failure: no content, the block reason as the finish reason, and the feedback kept.
  "prompt-blocked.sse": message("gemini-2e22f080", "", {
    response_metadata: meta(undefined, "SAFETY", { prompt_feedback: { blockReason: "SAFETY", safetyRatings: ratings("HARM_CATEGORY_HATE_SPEECH") } }),
  }),
  "recitation.sse": message("gemini-a370b3cd", [{ type: "text", text: "Copyrighted text goes hereMore copyrighted text", index: 0 }], {
    response_metadata: meta(undefined, "RECITATION", {
      citation_metadata: { citations: [{ startIndex: 30, endIndex: 179, uri: "https://www.example.com", license: "" }] },
    }),
  }),
  // The last snapshot wins, though its prompt count (13) is below the earlier ones' (15).
  "text.sse": message("w1peaMz6INOvnvgPgYfPiQY", [{ type: "text", text: "The capital of France is Paris.\n", index: 0 }], {
    usage_metadata: usage(13, 8, 21),
    response_metadata: meta("gemini-2.0-flash-exp", "STOP"),
  }),
  "thinking-tokens.sse": message("ru1garvBEoOiqtsP2fznmQw", [{ type: "text", text: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n21\n22\n23\n24\n25\n26\n27\n28\n29\n30", index: 0 }], {
    usage_metadata: usage(18, 115, 133, 35),
    response_metadata: meta("gemini-2.5-flash", "STOP"),
  }),
  "thought-function-call.sse": message(
    "48SHaPHpHKbG-8YPtZCawAk",
    [
      { type: "reasoning", reasoning: "**Calculating the Days**\n\nI've determined the user's request involves calculating the days until New Year's Eve. I need to get the current date and the date of New Year's Eve. My plan involves using `default_api.now()` to get the current date and time. Then, I can perform the calculation to find the time difference.\n\n\n**Determining the Approach**\n\nI'm now zeroing in on the best method. Having established the core requirement -- the number of days until New Year's Eve -- I've identified `default_api.now()` as my primary tool for retrieving the current date. I'll need to define December 31st of the current year. I've also recognized the need to calculate the difference, which isn't a direct function. I'll calculate this myself after getting today's date.\n\n\n", index: 0 },
      { ...call("48SHaPHpHKbG-8YPtZCawAk_call_0", "now", {}), extras: { signature: "CiIBVKhc7vB+vaaq6rA/KC79Ts7iXagIOA4EBOyBFDpl+pxPCmcBVKhc7gYyIw6X0IsswYK3hRIlOqJqLuw/CA777RLwVhbkj5IXXM6JPdtsso69K/H8aVi6ThxLZkLoQYapEKm4jpotk9HFJ1LnyOFHeQcKdXia2iBBNjb6LTZU/+Pib0zJbWnttT57Ct8BAVSoXO6n/xiy62ll0Bb/4DRtdUMN6l5WhI/yNCH0nVn5o7XWCT9ltApMM3MB2VEkId1U1lMu5d78n0juWxqYh7RvjqN3wCT1KMHeC9Yx6slplr27i/J9qzruq/X6y0ZbUvrv607cWrff53jfgJ7qvSHopN9ZD/kuwUn2lzXhvgIBHvAcLIEwHUcfsIYX5WPonf2aST1Ti1ui2dWw8eQpogiSIytX0L734L9nT0zj3VGlWJIxgeOA4IDH4ZjhWeU73K0P1YUjrla+RWQ7WAmga27KOtO1Zw3faShHT7esSAryAQFUqFzuPbTNs0g+Gt+7+kId/JtIdDKmBmZXIzHotCMUEj82J+3CQbaIjD15XVB8wBQjqwYSsWjWq01jMWqfbs10IS9WBhOeUewFfvqfoZUNxUcZkm314D9wt2eVFvkO4pIRDJs7oV7w0v7M3TaiovtI6hNz087wCtRy0cEF/0narcw1l1pFNSHxAK8Y9rbAVbrsNFglkI/oC0eOPbBn1K/F+dPnOiKgFaMg1v858aMx1rafr665kbrT3H/HcBMRrS9urjtYPXoseBpakOG+X/F6RUp9pHgMyuxCFxAstL2dCJ2UDX4LwZvvR+uQUkZ94smaCvABAVSoXO5wl+s/MoiArjmga1WCjBvsIAsE0Zqmw02g8ID8BfyjTXIHqZ6Z1cklDFg/MxYs/oQVW2fW0D6z0Nqg+38JcSpjl6e6P9oHF891mUuPKhP8HsWD+ZvQy6Wuh4IkeSwooBTHRoo2wIIqXLwseNPHCXg1M+9jE9feqdGWefq1jI3c5tc2yr5777IEQ/5BwrAMlL3Gsrq1pDptbuBOi4ZPWDhiaZmbdn1Zoh1CXZZNyqu9CH/hpFkzAtoN87vfYELHVQoV2wyzM+8JEDGoPvkvw27VuKsQEahGHHuAtMjf5kxA7Qyqd8kXMlLleEs0" } },
    ],
    {
      tool_calls: [call("48SHaPHpHKbG-8YPtZCawAk_call_0", "now", {})],
      usage_metadata: usage(38, 174, 212, 168),
      response_metadata: meta("gemini-2.5-flash", "STOP"),
    },
  ),
  "thought-summary.sse": message(
    "0J-HaJetAqv0jrEPwu-tsQ0",
    [
      { type: "reasoning", reasoning: "**Exploring Sky Color**\n\nI've zeroed in on the core question: why does the sky appear blue? My thought process has taken shape, highlighting sunlight's composition, the atmospheric role, and the significance of scattering. Specifically, I'm focusing on Rayleigh scattering and how the wavelengths of light interact. My next step will be to explain this.\n\n\n**Refining the Explanation**\n\nI'm now in the process of formulating a clear and concise explanation. The initial draft is complete and it explains why the sky appears blue by referencing how sunlight is scattered by Earth's atmosphere. I'm focusing on the significance of the shorter wavelengths of blue light, ensuring a comprehensive understanding is conveyed. The current plan is to finalize the explanation.\n\n\n**Constructing a Concise Answer**\n\nI've formulated a succinct explanation for why the sky is blue. Sunlight contains all colors. Tiny gas molecules in the atmosphere scatter sunlight. Blue light has shorter wavelengths, scattering more efficiently. This dispersed blue light fills the sky, making it appear blue to us. I'm satisfied with this concise response.\n\n\n", index: 0 },
      { type: "text", text: "The sky is blue because tiny gas molecules in Earth's atmosphere scatter blue light from the sun more efficiently than other colors. Blue light has shorter, smaller wavelengths, causing it to be scattered in all directions, making the sky appear blue to our eyes.", index: 1 },
    ],
    { usage_metadata: usage(10, 588, 598, 540), response_metadata: meta("gemini-2.5-flash", "STOP") },
  ),
  "vertex-function-call.sse": message("gemini-4a66a0aa", [call("gemini-4a66a0aa_call_0", "getTemperature", { city: "San Jose" })], {
    tool_calls: [call("gemini-4a66a0aa_call_0", "getTemperature", { city: "San Jose" })],
    response_metadata: meta(undefined, "STOP"),
  }),
  "vertex-text-signature.sse": message(
    "a9--aa6MOKL4vdIPz7X2iQ4",
    [{ type: "text", text: "OK", extras: { signature: "CiQBjz1rX+z7CAOCNB0aLI7ypObFNPY+MRlb2NP1K12YF4ii184KZgGPPWtf8hWSKLNch1ghUKZUmYaaRmvoMXkZVop6kweQzDMWIG7nNn9igFtO2jKfr8VDtw4byVxetzTlWZY2nUU/Z7pshr2eBGNxTri48NB34tOiyHQbdMdybqL9zFX/m1cxuicHdApgAY89a19xSDd9+/T7FW6jTh9alzbTEiH1njI2nlYFYD6y+VgsXW2wScKJaXhxofDcHjaKes6OBdGe+kEBSGfFbd8fawSdH4oDUp/OhBbLXgtAm11I51OHxiugcQ4+FNuWCq8BAY89a1/Py3Gcr79+yZBSsigstFRRfS0BXIujppw3oUlR9lPqxWaRaTSiawcPEXHk40n5OaOOtyPgdsvnCab6CJsZua9kmTsMykamYrVb8uVB4dC6950D7d2HJ1Fhhsx7TZfz6cex50yxmkZX65HEDddeKYKN4Sl9LIBG0ZUiEXSeOeD0x1vm8qqsZQgGbhUpx0h8q3xSFDEieXo8Z7g+3MsKRKHF6teaUdFfHC5FhQp7AY89a18yIC3GC/v2FK++vjgaen3A3yqEgVvz1K4LNs7gEGZWcJ+9T3jLsYvPuUDKdG1qdX26CgHpOoO2pNTen6beeDr00AuaOpDIK2uFyRL181W16TCAP2SRX84FKuxKuGo8Brcc7CVAzUcfpPjmcKoUym+oXYHLqxz3" }, index: 0 }],
    { usage_metadata: usage(5, 101, 106, 100), response_metadata: meta("gemini-3-flash-preview", "STOP") },
  ),
  // Until the last message Vertex AI's usageMetadata holds only trafficType: no snapshot of zeros.
  "vertex-thought-summary.sse": message(
    "J5-HaL6iL9OVhMIPkuG6iA8",
    [
      { type: "reasoning", reasoning: "**Understanding the Core Question**\n\nI'm starting to break down the task. The prompt demands a concise explanation, so I'm focusing on brevity. The central question is, of course, \"Why is the sky blue?\" This is the crux of the matter.\n\n\n**Structuring the Response**\n\nI've begun assembling the explanation. It starts with sunlight and its composition, moving through the atmosphere and the scattering effect. I'm focusing on the key elements, such as the molecule size, which influences the scattering of shorter wavelengths. The goal is to arrive at a brief, coherent narrative.\n\n\n**Formulating the Core Explanation**\n\nI've now sketched out the initial draft. I'm working to streamline the language, focusing on clarity while removing unnecessary words. The goal is to present a concise explanation suitable for the target audience. I'm focusing on the key scattering process and its effects.\n\n\n**Synthesizing the Response**\n\nI'm currently assembling the full explanation. I've focused on crafting the opening sentence, which needs to grab the reader. I'm also paying particular attention to the role of violet light. I'm ready to focus on the explanation of the other wavelengths to finish the full explanation.\n\n\n**Evaluating the Final Draft**\n\nI've assessed the assembled explanation. The text is clear, concise, and accurately addresses the prompt. I am pleased with the structure and how I've balanced brevity with completeness, making the response appropriate for the intended audience. I'm looking for any last chances for clarification.\n\n\n", index: 0 },
      { type: "text", text: "The sky is blue due to a phenomenon called **Rayleigh scattering**.\n\n1.  **Sunlight** is made of all colors, but blue and violet light have shorter wavelengths.\n2.  When sunlight enters Earth's atmosphere, it hits tiny **molecules of nitrogen and oxygen**.\n3.  These tiny molecules are just the right size to **scatter** the shorter, bluer wavelengths of light much more effectively than the longer, redder wavelengths.\n4.  This scattered blue light is dispersed in all directions across the sky, making it appear blue to our eyes. (While violet is scattered even more, our eyes are more sensitive to blue).", index: 1 },
    ],
    { usage_metadata: usage(9, 1201, 1210, 1067), response_metadata: meta("gemini-2.5-flash", "STOP") },
  ),
  "vertex-utf8.sse": message("gemini-29be8b3d", [{ type: "text", text: "秋风瑟瑟，叶落纷纷，\n西风残照，寒霜渐浓。\n枫叶红了，菊花黄了，\n秋雨绵绵，秋意浓浓。\n\n秋夜漫漫，思绪万千，\n明月当空，星星眨眼。\n思念远方的亲人，\n祝愿他们幸福安康。\n\n秋天是收获的季节，\n人们忙着收割庄稼，\n为一年的辛劳画上圆满的句号。\n秋天也是团圆的季节，\n一家人围坐在一起，\n分享丰收的喜悦，共度美好时光。\n\n秋天是一个美丽的季节，\n它有着独特的韵味，\n让人沉醉其中，流连忘返。\n让我们一起欣赏秋天的美景，\n感受秋天的气息，领悟秋天的哲理。", index: 0 }], {
    response_metadata: meta(undefined, "STOP"),
  }),
};

/** A recording's bytes. */
function recording(name: string): Bytes {
  return recordings[`gemini/${name}`]! as Bytes;
}

describe("the recordings", () => {
  itGivesTheRecordingsOutcomes("gemini", expected, fromGemini);
});

describe("the events", () => {
  it("the first message starts the message, usage snapshots come when the counts change, and the end of the body finishes it", async () => {
    const events = await readAll(bodyOf(recording("text.sse")).pipeThrough(new GeminiDecoderStream()));
    expect(events).toEqual([
      { event: "message-start", role: "ai", id: "w1peaMz6INOvnvgPgYfPiQY", metadata: { model_provider: "google_genai", model_name: "gemini-2.0-flash-exp" } },
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "The" } },
      { event: "usage", usage: usage(15, 0, 15) },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: " capital of France" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: " is Paris.\n" } },
      { event: "usage", usage: usage(13, 8, 21) },
      { event: "content-block-finish", index: 0, content: { type: "text", text: "The capital of France is Paris.\n" } },
      { event: "message-finish", reason: "STOP", usage: usage(13, 8, 21) },
    ]);
  });

  it("a function call, though it arrives whole, reaches tool-call readers as other adapters' calls do: id and name, then the arguments", async () => {
    const chunks = await readAll(fromGemini(bodyOf(recording("function-call.sse"))).toolCalls);
    expect(chunks).toEqual([
      { type: "tool_call_chunk", index: 0, id: "1lpeaMTxIpW1nvgP-O3vwQY_call_0", name: "get_capital" },
      { type: "tool_call_chunk", index: 0, args: '{"country":"France"}' },
    ]);
  });
});

describe("content", () => {
  it("an empty text part that carries a signature (Gemini 3's last part) signs the text block before it", async () => {
    const output = await fromGemini(responseOf(sse(parts([{ text: "Hi" }]), parts([{ text: "", thoughtSignature: "c2ln" }]), stop))).output;
    expect(output.content).toEqual([{ type: "text", text: "Hi", extras: { signature: "c2ln" }, index: 0 }]);
  });

  it("a second signature belongs to another part: it starts another block", async () => {
    const text = sse(parts([{ text: "a", thoughtSignature: "s1" }]), parts([{ text: "b" }]), parts([{ text: "c", thoughtSignature: "s2" }]), stop);
    expect((await fromGemini(responseOf(text)).output).content).toEqual([
      { type: "text", text: "ab", extras: { signature: "s1" }, index: 0 },
      { type: "text", text: "c", extras: { signature: "s2" }, index: 1 },
    ]);
  });

  it("a thought part that is only a signature signs the reasoning block", async () => {
    const text = sse(parts([{ text: "hmm", thought: true }]), parts([{ thought: true, thoughtSignature: "s1" }]), parts([{ text: "yes" }]), stop);
    expect((await fromGemini(responseOf(text)).output).content).toEqual([
      { type: "reasoning", reasoning: "hmm", extras: { signature: "s1" }, index: 0 },
      { type: "text", text: "yes", index: 1 },
    ]);
  });

  it("a function call's own id is kept, and calls without one are numbered in order", async () => {
    const text = sse(parts([{ functionCall: { id: "fc-1", name: "a", args: {} } }, { functionCall: { name: "b", args: { x: 1 } } }]), stop);
    expect(await fromGemini(responseOf(text)).toolCalls).toEqual([
      { type: "tool_call", id: "fc-1", name: "a", args: {} },
      { type: "tool_call", id: "r1_call_0", name: "b", args: { x: 1 } },
    ]);
  });

  it("inline data (an image model's picture) is an image block with its base64 data, mime type and signature", async () => {
    const part = { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" }, thoughtSignature: "s1" };
    expect((await fromGemini(responseOf(sse(parts([{ text: "Here:" }, part]), stop))).output).content).toEqual([
      { type: "text", text: "Here:", index: 0 },
      { type: "image", data: "iVBORw0KGgo=", mime_type: "image/png", extras: { signature: "s1" }, index: 1 },
    ]);
  });

  it("streamed function-call arguments (Vertex AI's partialArgs at JSON paths) are put together into one call", async () => {
    // The shape of a gemini-3.1-pro-preview stream with streamFunctionCallArguments (the AI SDK's fixture
    // google-vertex-stream-tool-call-arguments-nested.1.chunks.txt), shortened.
    const fc = (functionCall: object, extra: object = {}) => parts([{ functionCall, ...extra }]);
    const arg = (jsonPath: string, value: object, more = true) => ({ partialArgs: [{ jsonPath, ...value, ...(more ? { willContinue: true } : {}) }], willContinue: true });
    const text = sse(
      fc({ name: "cookRecipe", willContinue: true }, { thoughtSignature: "s1" }),
      fc(arg("$.recipe.ingredients[0].amount", { stringValue: "16 " })),
      fc(arg("$.recipe.ingredients[0].amount", { stringValue: "oz" })),
      fc(arg("$.recipe.ingredients[0].amount", { stringValue: "" }, false)),
      fc({ willContinue: true }),
      fc(arg("$.recipe.ingredients[1].name", { stringValue: "Ricotta" })),
      fc(arg("$.recipe.servings", { numberValue: 6 }, false)),
      fc(arg("$.recipe.vegetarian", { boolValue: false }, false)),
      fc(arg("$.recipe.steps[0]", { stringValue: "Bake." })),
      { candidates: [{ content: { parts: [{ functionCall: {} }], role: "model" }, finishReason: "STOP" }] },
    );
    const args = { recipe: { ingredients: [{ amount: "16 oz" }, { name: "Ricotta" }], servings: 6, vegetarian: false, steps: ["Bake."] } };
    const stream = fromGemini(responseOf(text));
    const chunks = readAll(stream.toolCalls);
    const output = await stream.output;
    expect([output.content, output.tool_calls, await chunks]).toEqual([
      [{ type: "tool_call", id: "r1_call_0", name: "cookRecipe", args, extras: { signature: "s1" } }],
      [{ type: "tool_call", id: "r1_call_0", name: "cookRecipe", args }],
      [
        { type: "tool_call_chunk", index: 0, id: "r1_call_0", name: "cookRecipe" },
        { type: "tool_call_chunk", index: 0, args: JSON.stringify(args) },
      ],
    ]);
  });

  it("a stream cut off while a call's arguments stream finishes the call with the arguments that arrived", async () => {
    const text = sse(
      parts([{ functionCall: { name: "search", willContinue: true } }]),
      parts([{ functionCall: { partialArgs: [{ jsonPath: "$.query", stringValue: "weather in", willContinue: true }], willContinue: true } }]),
    );
    expect(await fromGemini(responseOf(text)).toolCalls).toEqual([{ type: "tool_call", id: "r1_call_0", name: "search", args: { query: "weather in" } }]);
  });

  it("streamed arguments with a hostile path make no prototype and no four-billion-slot array", async () => {
    const fc = (functionCall: object) => parts([{ functionCall }]);
    const text = sse(
      fc({ name: "f", willContinue: true }),
      fc({ partialArgs: [{ jsonPath: "$.__proto__.polluted", stringValue: "x" }], willContinue: true }),
      fc({ partialArgs: [{ jsonPath: "$.list[4294967294]", stringValue: "x" }], willContinue: true }),
      fc({}),
    );
    const [call] = await fromGemini(responseOf(text)).toolCalls;
    // `__proto__` is an ordinary key; the index past the end is dropped, leaving the list its path named.
    expect([call?.args, ({} as Record<string, unknown>)["polluted"]]).toEqual([{ ["__proto__"]: { polluted: "x" }, list: [] }, undefined]);
  });

  it("a part of another kind is a non_standard block holding it", async () => {
    const part = { fileData: { mimeType: "application/pdf", fileUri: "gs://bucket/doc.pdf" } };
    expect((await fromGemini(responseOf(sse(parts([part]), stop))).output).content).toEqual([{ type: "non_standard", value: part, index: 0 }]);
  });

  it("only candidate 0 is this message (candidateCount > 1)", async () => {
    const two = { candidates: [{ content: { parts: [{ text: "one" }] }, index: 1 }, { content: { parts: [{ text: "zero" }] }, index: 0 }] };
    expect(await fromGemini(responseOf(sse(two, stop))).text).toBe("zero");
  });

  it("a message with 300,000 citations is read (they are gathered without a spread, which would overflow the stack)", async () => {
    const citations = Array.from({ length: 300_000 }, (_, i) => ({ startIndex: i }));
    const message = { candidates: [{ content: { parts: [{ text: "x" }] }, citationMetadata: { citations }, finishReason: "STOP" }] };
    const output = await fromGemini(responseOf(sse(message))).output;
    expect((output.response_metadata["citation_metadata"] as { citations: unknown[] }).citations.length).toBe(300_000);
  });

  it("MAX_TOKENS is the finish reason as sent, and cached tokens are cache reads", async () => {
    const counts = { promptTokenCount: 2000, cachedContentTokenCount: 1500, candidatesTokenCount: 4, thoughtsTokenCount: 60, totalTokenCount: 2064 };
    const last = { candidates: [{ content: { parts: [{ text: " b" }] }, finishReason: "MAX_TOKENS" }], usageMetadata: counts };
    const output = await fromGemini(responseOf(sse(parts([{ text: "a" }]), last))).output;
    expect([output.response_metadata["finish_reason"], output.usage_metadata]).toEqual([
      "MAX_TOKENS",
      { input_tokens: 2000, output_tokens: 64, total_tokens: 2064, input_token_details: { cache_read: 1500 }, output_token_details: { reasoning: 60 } },
    ]);
  });
});

describe("failures", () => {
  it("an error message fails the stream with its message and status as code, the answer so far on the partial", async () => {
    const error = { error: { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" } };
    const caught = await failure(fromGemini(responseOf(sse(parts([{ text: "Let me" }]), error))).output);
    expect([caught.message, (caught as Error & { code?: unknown }).code, caught.partial?.content]).toEqual([
      "The model is overloaded. Please try again later.",
      "UNAVAILABLE",
      [{ type: "text", text: "Let me", index: 0 }],
    ]);
  });

  it("an error without a status has its numeric code as code", async () => {
    const caught = await failure(fromGemini(responseOf(sse({ error: { code: 500, message: "Internal error encountered." } }))).output);
    expect([caught.message, (caught as Error & { code?: unknown }).code]).toEqual(["Internal error encountered.", "500"]);
  });

  it("a non-OK response fails with an HTTPError carrying Google's message", async () => {
    // The body Google sends for a bad key (from Firebase's vertexai-sdk-test-data, streaming-failure-api-key.txt).
    const body = {
      error: {
        code: 400,
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }],
      },
    };
    const response = new Response(JSON.stringify(body), { status: 400, statusText: "Bad Request", headers: { "content-type": "application/json; charset=UTF-8" } });
    const error = (await failure(fromGemini(response).output)) as HTTPError;
    expect([HTTPError.isInstance(error), error.status, error.message]).toEqual([true, 400, "HTTP 400 Bad Request: API key not valid. Please pass a valid API key."]);
  });

  it("a response without alt=sse (one JSON array) fails with a TypeError that asks for alt=sse", async () => {
    const error = await failure(fromGemini(responseOf(`[${JSON.stringify(parts([{ text: "hi" }]))}]`, { contentType: "application/json; charset=UTF-8" })).output);
    expect([error.name, error.message]).toEqual([
      "TypeError",
      "Expected a text/event-stream response, got application/json: was the request sent to :streamGenerateContent?alt=sse?",
    ]);
  });

  it("a stream cut off after the first text message ends with what arrived and no finish reason", async () => {
    // thought-summary.sse up to the end of its fourth message (2641 bytes), of six.
    const output = await fromGemini(bodyOf(recording("thought-summary.sse").slice(0, 2641))).output;
    expect([output.content, output.usage_metadata, output.response_metadata]).toEqual([
      [
        { type: "reasoning", reasoning: "**Exploring Sky Color**\n\nI've zeroed in on the core question: why does the sky appear blue? My thought process has taken shape, highlighting sunlight's composition, the atmospheric role, and the significance of scattering. Specifically, I'm focusing on Rayleigh scattering and how the wavelengths of light interact. My next step will be to explain this.\n\n\n**Refining the Explanation**\n\nI'm now in the process of formulating a clear and concise explanation. The initial draft is complete and it explains why the sky appears blue by referencing how sunlight is scattered by Earth's atmosphere. I'm focusing on the significance of the shorter wavelengths of blue light, ensuring a comprehensive understanding is conveyed. The current plan is to finalize the explanation.\n\n\n**Constructing a Concise Answer**\n\nI've formulated a succinct explanation for why the sky is blue. Sunlight contains all colors. Tiny gas molecules in the atmosphere scatter sunlight. Blue light has shorter wavelengths, scattering more efficiently. This dispersed blue light fills the sky, making it appear blue to us. I'm satisfied with this concise response.\n\n\n", index: 0 },
        { type: "text", text: "The sky is blue because tiny gas molecules in Earth's atmosphere scatter blue light from the sun more efficiently than other colors.", index: 1 },
      ],
      usage(10, 562, 572, 540),
      meta("gemini-2.5-flash", undefined),
    ]);
  });

  it("data that is not JSON fails with a TypeError naming the message's position", async () => {
    const error = await failure(fromGemini(responseOf(`${sse(parts([{ text: "a" }]))}data: {nope\r\n\r\n`)).output);
    expect(error.message).toBe('Invalid Gemini event data at position 1: not JSON: "{nope"');
  });
  it("fromResponse handed a Gemini stream says whose it is and which adapter reads it", async () => {
    const error = await failure(fromResponse(new Response(bodyOf(recording("text.sse")))).output);
    expect([error.name, error.message]).toEqual(["TypeError", "Expected this package's protocol events, got a Google Gemini stream (read it with fromGemini)"]);
  });
});

describe("flow", () => {
  it("is lazy: nothing is read until something consumes", async () => {
    const source = chunkedBody([recording("text.sse")]);
    const stream = fromGemini(source.body);
    await settle();
    const before = source.pulled;
    await stream.text;
    expect([before, source.pulled]).toEqual([0, 1]);
  });

  it("cancelling the stream cancels the response body", async () => {
    const source = chunkedBody([bytesOf(sse(parts([{ text: "a" }])))], true);
    const stream = fromGemini(source.body);
    await stream.text.getReader().read();
    await stream.aclose();
    await settle();
    expect(source.cancelled).toBeDefined();
  });
});

describe("hostile and foreign input", () => {
  itRefusesHostileInput({
    kind: "a Google Gemini stream",
    from: fromGemini,
    decoder: () => new GeminiDecoderStream(),
    // Gemini numbers no blocks; the index it does send, a candidate's, costs nothing when huge.
    hugeIndex:
      'data: {"candidates":[{"content":{"parts":[{"text":"no"}]},"index":4294967294},{"content":{"parts":[{"text":"hi"}]},"index":0}]}\r\n\r\n',
  });
});
