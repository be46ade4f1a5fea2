#!/usr/bin/python3
"""Builds the tiny ONNX embedding models the tests run (tests/NExtLong.Tests/Data/onnx/), with Debian's
python3-onnx, python3-numpy and python3-sentencepiece:

  tiny-bert/  BERT-shaped: input_ids, attention_mask, token_type_ids -> last_hidden_state [batch, tokens, 8];
              WordPiece vocab.txt; 16-token window (config.json max_position_embeddings).
  tiny-jina/  jina-embeddings-v3-shaped: input_ids, attention_mask, task_id (scalar) -> text_embeds [batch, tokens, 8];
              Hugging Face tokenizer.json with a Unigram model taken from tiny.model; 18-token window.
  tiny.model  a SentencePiece unigram model trained on the sample corpus, and sentencepiece-ids.json: the ids
              Python sentencepiece gives for a few texts, for checking both tokenizers that read it.

The graphs compute every token's vector on its own, h = tanh(E[id] + P[position] + X), with X = T[token_type] or
A[task], from weights given by closed formulas (below) that the tests recompute, so expected embeddings come from
an independent calculation. Output is deterministic.

Usage: /usr/bin/python3 tools/onnx-test-models/make-tiny-models.py
"""
import gzip
import io
import json
import math
import os

import numpy as np
import onnx
import sentencepiece as spm
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'tests', 'NExtLong.Tests', 'Data', 'onnx')
HIDDEN = 8

BERT_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy',
               'dog', 'query', 'passage', ':', '.', ',', 'a', 'cat', 'sat', 'on', 'mat', 'runs', '##s', '##ing', 'jump']
JINA_TASKS = ['retrieval.query', 'retrieval.passage', 'separation', 'classification', 'text-matching']


# The formulas the tests recompute (TinyModels.cs).
def embedding(vocab, hidden):
    return np.array([[math.sin(0.61 * i + 1.7 * j) for j in range(hidden)] for i in range(vocab)], np.float32)


def position(count, hidden):
    return np.array([[0.3 * math.cos(0.23 * p + 0.9 * j) for j in range(hidden)] for p in range(count)], np.float32)


def extra(count, hidden):
    return np.array([[0.1 * (t + 1) * ((j % 3) - 1) for j in range(hidden)] for t in range(count)], np.float32)


def write(model, path):
    onnx.checker.check_model(model)
    temp = path + '.tmp'
    with open(temp, 'wb') as f:
        f.write(model.SerializeToString())
    os.replace(temp, path)


def per_token_graph(name, vocab, positions, extra_input, extra_count, output):
    inits = [numpy_helper.from_array(embedding(vocab, HIDDEN), 'E'),
             numpy_helper.from_array(position(positions, HIDDEN), 'P'),
             numpy_helper.from_array(extra(extra_count, HIDDEN), 'X'),
             numpy_helper.from_array(np.array(0, np.int64), 'zero'),
             numpy_helper.from_array(np.array(1, np.int64), 'one')]
    nodes = [
        helper.make_node('Gather', ['E', 'input_ids'], ['tok'], axis=0),
        helper.make_node('Shape', ['input_ids'], ['shape'], start=1, end=2),
        helper.make_node('Squeeze', ['shape', 'axis0'], ['seq']),
        helper.make_node('Range', ['zero', 'seq', 'one'], ['pos']),
        helper.make_node('Gather', ['P', 'pos'], ['posv'], axis=0),
        helper.make_node('Gather', ['X', extra_input], ['xv'], axis=0),
        helper.make_node('Add', ['tok', 'posv'], ['s1']),
        helper.make_node('Add', ['s1', 'xv'], ['s2']),
        helper.make_node('Tanh', ['s2'], [output]),
    ]
    inits.append(numpy_helper.from_array(np.array([0], np.int64), 'axis0'))
    inputs = [helper.make_tensor_value_info('input_ids', TensorProto.INT64, ['batch', 'sequence']),
              helper.make_tensor_value_info('attention_mask', TensorProto.INT64, ['batch', 'sequence'])]
    if extra_input == 'token_type_ids':
        inputs.append(helper.make_tensor_value_info('token_type_ids', TensorProto.INT64, ['batch', 'sequence']))
    else:
        inputs.append(helper.make_tensor_value_info('task_id', TensorProto.INT64, []))
    graph = helper.make_graph(nodes, name, inputs, [helper.make_tensor_value_info(output, TensorProto.FLOAT, ['batch', 'sequence', HIDDEN])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='nextlong make-tiny-models.py')
    model.ir_version = 8
    return model


def write_json(path, value):
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write('\n')


def tiny_bert():
    d = os.path.join(OUT, 'tiny-bert')
    os.makedirs(d, exist_ok=True)
    write(per_token_graph('tiny_bert', len(BERT_TOKENS), 16, 'token_type_ids', 2, 'last_hidden_state'), os.path.join(d, 'model.onnx'))
    with open(os.path.join(d, 'vocab.txt'), 'w', encoding='utf-8', newline='\n') as f:
        f.write('\n'.join(BERT_TOKENS) + '\n')
    write_json(os.path.join(d, 'config.json'), {'model_type': 'bert', 'max_position_embeddings': 16, 'hidden_size': HIDDEN})
    write_json(os.path.join(d, 'tokenizer_config.json'), {'do_lower_case': True, 'tokenizer_class': 'BertTokenizer'})


def train_sentencepiece():
    texts = []
    with gzip.open(os.path.join(ROOT, 'samples', 'sample-docs.jsonl.gz'), 'rt', encoding='utf-8') as f:
        for i, line in enumerate(f):
            if i >= 300:
                break
            texts.append(json.loads(line)['text'])
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_writer=model, vocab_size=300, model_type='unigram',
                                   character_coverage=0.9995, num_threads=1, seed_sentencepiece_size=20000,
                                   input_sentence_size=0, shuffle_input_sentence=False, minloglevel=2)
    path = os.path.join(OUT, 'tiny.model')
    with open(path + '.tmp', 'wb') as f:
        f.write(model.getvalue())
    os.replace(path + '.tmp', path)
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def tiny_jina(sp):
    d = os.path.join(OUT, 'tiny-jina')
    os.makedirs(d, exist_ok=True)
    vocab = sp.get_piece_size()
    write(per_token_graph('tiny_jina', vocab, 18, 'task_id', len(JINA_TASKS), 'text_embeds'), os.path.join(d, 'model.onnx'))
    pieces = [[sp.id_to_piece(i), float(sp.get_score(i))] for i in range(vocab)]
    tokenizer = {
        'version': '1.0',
        'added_tokens': [{'id': sp.piece_to_id(t), 'content': t, 'special': True} for t in ['<unk>', '<s>', '</s>']],
        'normalizer': {'type': 'Precompiled'},
        'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [{'type': 'WhitespaceSplit'}, {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always'}]},
        'post_processor': {'type': 'RobertaProcessing', 'sep': ['</s>', sp.piece_to_id('</s>')], 'cls': ['<s>', sp.piece_to_id('<s>')]},
        'model': {'type': 'Unigram', 'unk_id': sp.piece_to_id('<unk>'), 'vocab': pieces},
    }
    write_json(os.path.join(d, 'tokenizer.json'), tokenizer)
    write_json(os.path.join(d, 'config.json'), {'model_type': 'xlm-roberta', 'max_position_embeddings': 20, 'lora_adaptations': JINA_TASKS})


def reference_ids(sp):
    texts = ['The quick brown fox jumps over the lazy dog.', 'Hello, world! Numbers 12345 and symbols € ∑.',
             'nextlong synthesizes long documents from short ones', 'Ｆｕｌｌｗｉｄｔｈ text and café naïve', 'x']
    write_json(os.path.join(OUT, 'sentencepiece-ids.json'), [{'text': t, 'ids': sp.encode(t)} for t in texts])


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    tiny_bert()
    sp = train_sentencepiece()
    tiny_jina(sp)
    reference_ids(sp)
